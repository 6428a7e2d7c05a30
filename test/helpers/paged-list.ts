/**
 * A list served the way the Kubernetes API pages one: `limit` items, then a continue token
 * for the rest (here the offset as text). What the fleet's paged tenant listing reads, for
 * workflow tests and the benchmark's instant activities.
 */
export function offsetPage(all: readonly string[], limit: number, continueToken?: string): { names: string[]; continueToken?: string } {
  const from = Number(continueToken ?? 0);
  const to = Math.min(all.length, from + limit);
  return { names: all.slice(from, to), ...(to < all.length ? { continueToken: String(to) } : {}) };
}
