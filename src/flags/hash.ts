/**
 * The rollout bucket of a user for a flag: FNV-1a over the flag name, a salt character and the
 * user id, finished with MurmurHash3's fmix32 so that neighbouring ids spread evenly, reduced to
 * 0..9999 (basis points). The same inputs give the same bucket in every process and version, so a
 * user stays in or out of a rollout across requests and instances. Reads the strings by
 * `charCodeAt`: no allocation.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
export const BUCKETS = 10_000;

/** `salt` separates independent draws for the same flag and user (rollout vs variant). */
export function bucket(flag: string, salt: number, user: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < flag.length; i++) h = Math.imul(h ^ flag.charCodeAt(i), FNV_PRIME);
  h = Math.imul(h ^ salt, FNV_PRIME);
  for (let i = 0; i < user.length; i++) h = Math.imul(h ^ user.charCodeAt(i), FNV_PRIME);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % BUCKETS;
}
