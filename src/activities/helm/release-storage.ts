/**
 * helm 3's release storage (pkg/storage/driver): one object per revision, named
 * `sh.helm.release.v1.<release>.v<revision>`, in a Secret by default or a ConfigMap with
 * HELM_DRIVER=configmap. It holds the release as JSON, gzipped, base64; a Secret keeps those
 * base64 bytes in `data.release` (so the API shows them base64 once more), a ConfigMap the text.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

export type StorageKind = 'secret' | 'configmap';

/** Where helm keeps releases (HELM_DRIVER); undefined for drivers with no Kubernetes object (sql, memory). */
export function releaseStorageKind(driver = process.env.HELM_DRIVER ?? ''): StorageKind | undefined {
  if (driver === '' || driver === 'secret' || driver === 'secrets') return 'secret';
  if (driver === 'configmap' || driver === 'configmaps') return 'configmap';
  return undefined;
}

/** helm's name for one revision's storage object. */
export const releaseStorageName = (release: string, revision: number): string => `sh.helm.release.v1.${release}.v${revision}`;

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);

/** helm's encoded release (the base64 text) to its JSON object; releases stored before helm compressed them are plain JSON. */
export function decodeRelease(encoded: string): Record<string, unknown> {
  const bytes = Buffer.from(encoded, 'base64');
  const json = bytes.subarray(0, 3).equals(GZIP_MAGIC) ? gunzipSync(bytes) : bytes;
  return JSON.parse(json.toString('utf8')) as Record<string, unknown>;
}

/** The JSON object back to helm's encoding, gzipped as helm writes it. */
export const encodeRelease = (release: Record<string, unknown>): string => gzipSync(Buffer.from(JSON.stringify(release), 'utf8'), { level: 9 }).toString('base64');
