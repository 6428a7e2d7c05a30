/**
 * Loads the public keys a run verifies signed decisions with, from a file on the worker,
 * a ConfigMap or a Secret (allowed_signers lines). Public keys may sit in history; the
 * keyring's digest goes with them so an audit can tell which keyring judged the run.
 */
import { readFile } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import type { KeyringRef } from '../domain/approval-policy.js';
import { FailureType } from '../domain/failure-types.js';
import { keyringDigest, parseKeyringText, type KeyLine } from '../domain/signatures/keyring.js';
import type { CommandRunner } from './command.js';
import { getObject } from './kube-json.js';

export interface LoadedKeyring {
  source: string;
  digest: string;
  keys: KeyLine[];
}

const invalid = (message: string) => ApplicationFailure.create({ type: FailureType.InvalidInput, message, nonRetryable: true });

export function createKeyringActivities({ runner }: { runner: CommandRunner }) {
  async function fromCluster(kind: 'configmap' | 'secret', ref: { namespace: string; name: string; key: string; kube?: object | undefined }): Promise<[string, string]> {
    const source = `${kind} ${ref.namespace}/${ref.name} key ${ref.key}`;
    const object = await getObject(runner, { namespace: ref.namespace, kube: ref.kube ?? {} }, kind, ref.name);
    if (!object) throw ApplicationFailure.create({ type: FailureType.NotFound, message: `approval.keyring: ${kind} ${ref.namespace}/${ref.name} does not exist`, nonRetryable: true });
    const value = object.data?.[ref.key];
    if (value === undefined) throw invalid(`approval.keyring: ${source} is missing (keys: ${Object.keys(object.data ?? {}).join(', ') || 'none'})`);
    return [source, kind === 'secret' ? Buffer.from(value, 'base64').toString('utf8') : value];
  }

  return {
    async loadKeyring(ref: KeyringRef): Promise<LoadedKeyring> {
      let source: string;
      let text: string;
      if ('file' in ref) {
        source = `file ${ref.file}`;
        try {
          text = await readFile(ref.file, 'utf8');
        } catch (err) {
          throw invalid(`approval.keyring: cannot read ${ref.file} on the worker: ${(err as Error).message}`);
        }
      } else if ('configMap' in ref) {
        [source, text] = await fromCluster('configmap', ref.configMap);
      } else {
        [source, text] = await fromCluster('secret', ref.secret);
      }
      let keys: KeyLine[];
      try {
        keys = parseKeyringText(text, `approval.keyring (${source})`);
      } catch (err) {
        throw invalid((err as Error).message);
      }
      if (keys.length === 0) throw invalid(`approval.keyring: ${source} holds no keys`);
      return { source, digest: keyringDigest(text), keys };
    },
  };
}
