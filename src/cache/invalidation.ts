/**
 * Cluster-wide L1 invalidation: the operations the cache sends over its own channel
 * (`<prefix>:ch:cache:invalidate`, an `InvalidationChannel`, see src/coherence/invalidation-channel.ts).
 * Every instance drops the L1 copies an operation names; the same messages wake instances waiting
 * for a cluster lock holder's value.
 *
 *   {n, k: [keys]}  keys of namespace n were set or deleted
 *   {n, g: [tags]}  entries of namespace n with these tags were deleted
 *   {n, c: 1}       namespace n and its children were cleared
 *   {a: 1}          every namespace was cleared
 *
 * Delivery is at most once: that is why an instance drops all of L1 whenever it regains Redis,
 * bypasses it until its subscription is confirmed, and why L1 entries have a TTL (the trust policy
 * of every in-process copy, src/coherence/copies.ts).
 */
export type InvalidationOp =
  | { n: string; k: string[] }
  | { n: string; g: readonly string[] }
  | { n: string; c: 1 }
  | { a: 1 };

/** Key operations of one namespace queued in a row travel as one. */
export function mergeKeyOps(last: InvalidationOp, op: InvalidationOp): boolean {
  if (!('k' in last) || !('k' in op) || last.n !== op.n) return false;
  last.k.push(...op.k);
  return true;
}
