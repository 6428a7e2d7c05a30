/**
 * A Temporal PayloadCodec for payloads too large for history (the claim-check pattern): a
 * payload above the threshold is put into the payload store under the sha256 of its bytes,
 * and history holds only a small claim (the sha256 and the size). Decoding fetches the
 * object and checks it against the claim's sha256, so an object altered or swapped in the
 * store is refused, never decoded.
 *
 * Why: the SocTalk fleet hands its tenants' records from one generation to the next
 * through continue-as-new, and that one payload grows with the fleet (about 26 bytes a
 * tenant). With the claim check, no history payload passes the threshold, whatever the
 * fleet's size. It runs after the encryption codec, so with keys set the store holds
 * ciphertext only.
 */
import { createHash } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { metadataText, payloadFromBytes, payloadToBytes } from './payload-bytes.js';
import type { PayloadOffload, PayloadStore } from './payload-store.js';

export const CLAIM_CHECK_ENCODING = 'json/claim-check';

interface Claim {
  sha256: string;
  bytes: number;
}

/** How many stored objects the codec remembers, so an unchanged payload is not put again. */
const REMEMBERED_MAX = 4096;

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const sizeOf = (p: Payload) => (p.data?.length ?? 0) + Object.entries(p.metadata ?? {}).reduce((n, [k, v]) => n + k.length + (v?.length ?? 0), 0);

export class ClaimCheckPayloadCodec implements PayloadCodec {
  private readonly store: PayloadStore;
  private readonly thresholdBytes: number;
  private readonly stored = new Set<string>();

  constructor(offload: PayloadOffload) {
    this.store = offload.store;
    this.thresholdBytes = offload.thresholdBytes;
  }

  /** For the worker's start-up log. */
  get description(): string {
    return `payloads over ${this.thresholdBytes} bytes go to ${this.store.location}`;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return await Promise.all(payloads.map((p) => this.encodeOne(p)));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return await Promise.all(payloads.map((p) => this.decodeOne(p)));
  }

  private async encodeOne(payload: Payload): Promise<Payload> {
    if (sizeOf(payload) <= this.thresholdBytes) return payload;
    const bytes = payloadToBytes(payload);
    const claim: Claim = { sha256: sha256Of(bytes), bytes: bytes.length };
    if (!this.stored.has(claim.sha256)) {
      await this.store.put(claim.sha256, bytes);
      if (this.stored.size >= REMEMBERED_MAX) this.stored.clear();
      this.stored.add(claim.sha256);
    }
    return { metadata: { encoding: new TextEncoder().encode(CLAIM_CHECK_ENCODING) }, data: new TextEncoder().encode(JSON.stringify(claim)) };
  }

  private async decodeOne(payload: Payload): Promise<Payload> {
    // Payloads below the threshold, and those written before offloading was on, pass through.
    if (metadataText(payload.metadata?.encoding) !== CLAIM_CHECK_ENCODING) return payload;
    const claim = parseClaim(metadataText(payload.data));
    const bytes = await this.store.get(claim.sha256);
    const name = `payload ${claim.sha256} (${claim.bytes} bytes)`;
    if (!bytes) {
      throw new Error(`${name} is not in the payload store ${this.store.location}: the store's objects must outlive the histories that name them (keep any expiry on the prefix longer than the namespace's retention)`);
    }
    if (sha256Of(bytes) !== claim.sha256) throw new Error(`${name} in ${this.store.location} does not match its sha256: the object was altered or replaced`);
    return payloadFromBytes(Buffer.from(bytes));
  }
}

function parseClaim(text: string): Claim {
  let claim: Partial<Claim>;
  try {
    claim = JSON.parse(text) as Partial<Claim>;
  } catch {
    claim = {};
  }
  if (typeof claim.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(claim.sha256) || typeof claim.bytes !== 'number') {
    throw new Error(`a payload marked ${CLAIM_CHECK_ENCODING} does not hold a claim (sha256 and size): ${JSON.stringify(text.slice(0, 100))}`);
  }
  return { sha256: claim.sha256, bytes: claim.bytes };
}
