/**
 * The SSH signature format (OpenSSH PROTOCOL.sshsig): what `ssh-keygen -Y sign -n <ns>`
 * writes, armored between "-----BEGIN SSH SIGNATURE-----" lines. Only ssh-ed25519 keys;
 * verified with @noble/curves, pure JavaScript, so the workflow itself can check it.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { base64Decode, concat, equalBytes, SshReader, sshString, utf8 } from './bytes.js';
import { parseKeyBlob, type SshPublicKey } from './ssh-key.js';

export const SIGNATURE_NAMESPACE = 'upgrade-runbooks';

const MAGIC = utf8('SSHSIG');
const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';

export interface SshSignature {
  key: SshPublicKey;
  namespace: string;
  hashAlgorithm: 'sha256' | 'sha512';
  /** The raw 64-byte ed25519 signature. */
  signature: Uint8Array;
}

/** Parses an armored SSHSIG; throws with what is wrong. */
export function parseSshSignature(armored: string): SshSignature {
  const text = armored.trim();
  if (!text.startsWith(BEGIN) || !text.endsWith(END)) {
    throw new Error(`the signature must be the armored output of ssh-keygen -Y sign (${BEGIN} … ${END})`);
  }
  const bytes = base64Decode(text.slice(BEGIN.length, text.length - END.length));
  const reader = new SshReader(bytes);
  if (!equalBytes(reader.raw(6), MAGIC)) throw new Error('not an SSHSIG signature');
  const version = reader.uint32();
  if (version !== 1) throw new Error(`unsupported SSHSIG version ${version}`);
  const key = parseKeyBlob(reader.string());
  const namespace = reader.text();
  reader.string(); // reserved
  const hashAlgorithm = reader.text();
  if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') throw new Error(`unsupported hash algorithm ${hashAlgorithm}`);
  const sig = new SshReader(reader.string());
  const sigType = sig.text();
  const signature = sig.string();
  if (sigType !== 'ssh-ed25519' || signature.length !== 64 || !sig.done || !reader.done) throw new Error('malformed ssh-ed25519 signature');
  return { key, namespace, hashAlgorithm, signature };
}

/** What the ed25519 signature covers: the SSHSIG preamble over the message's hash. */
function signedData(sig: SshSignature, message: Uint8Array): Uint8Array {
  const digest = sig.hashAlgorithm === 'sha512' ? sha512(message) : sha256(message);
  return concat(MAGIC, sshString(utf8(sig.namespace)), sshString(new Uint8Array()), sshString(utf8(sig.hashAlgorithm)), sshString(digest));
}

/** True when `sig` is a valid signature by its embedded key over `message` in `namespace`. */
export function verifySshSignature(sig: SshSignature, message: Uint8Array, namespace = SIGNATURE_NAMESPACE): boolean {
  if (sig.namespace !== namespace) return false;
  try {
    return ed25519.verify(sig.signature, signedData(sig, message), sig.key.publicKey, { zip215: false });
  } catch {
    return false;
  }
}
