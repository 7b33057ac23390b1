/**
 * Lease and lock primitives shared by every module that owns something for a while (job leader
 * leases, matchmaking reservations, single-flight locks): the owner writes a random token with
 * `SET key token PX ttl NX`, renews with compare-and-pexpire and releases with compare-and-delete.
 * Both check the token and act in one atomic step, so an owner whose lease expired and was taken
 * by another instance can neither extend nor delete the new owner's key.
 *
 * Each is a Lua script (lua/compare-and-*.lua) with a JavaScript twin for `MemoryStore`.
 */
import { RedisCommandError } from '../errors.js';
import type { MemoryData } from './memory/data.js';
import { defineScript } from './script.js';
import type { Store } from './store.js';

/** Redis compares a string's bytes; a value stored as a Buffer is compared the same way. */
function holds(data: MemoryData, key: string, expected: string): boolean {
  const value = data.getRaw(key);
  if (value === null) return false;
  return Buffer.isBuffer(value) ? value.equals(Buffer.from(expected)) : value === expected;
}

/** KEYS[1] lease key, ARGV[1] expected token → 1 deleted, 0 not the holder. */
export const compareAndDelete = defineScript('compare-and-delete', 1, (data, [key], [expected]) => {
  if (!holds(data, key!, expected!)) return 0;
  data.del(key!);
  return 1;
});

/** KEYS[1] lease key, ARGV[1] expected token, ARGV[2] ttl ms → 1 renewed, 0 not the holder. */
export const compareAndPExpire = defineScript('compare-and-pexpire', 1, (data, [key], [expected, ms]) => {
  if (!holds(data, key!, expected!)) return 0;
  if (!/^-?\d+$/.test(ms ?? '')) {
    throw new RedisCommandError('EVALSHA', new Error('ERR value is not an integer or out of range'));
  }
  data.pExpire(key!, Number(ms));
  return 1;
});

/** Deletes `key` if it still holds `token`; true when it did. */
export async function releaseIfHeld(store: Store, key: string, token: string): Promise<boolean> {
  return (await store.runScript(compareAndDelete, [key], [token])) === 1;
}

/** Sets `key` to expire in `ms` if it still holds `token`; true when it did. */
export async function renewIfHeld(store: Store, key: string, token: string, ms: number): Promise<boolean> {
  return (await store.runScript(compareAndPExpire, [key], [token, Math.round(ms)])) === 1;
}
