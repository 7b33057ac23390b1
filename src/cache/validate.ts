/**
 * Argument checks. Every public call validates all of its arguments before touching either tier,
 * whatever the cache holds, so a bad call fails the same way on a hit and on a miss and nothing is
 * stored. Failures are `ValidationError` (PLEXUS_INVALID_ARGUMENT) naming the argument.
 */
import type { CacheConfig } from '../config/cache.js';
import { durationSyntax, toMilliseconds } from '../config/duration.js';
import { ValidationError } from '../errors.js';
import type { Duration, EntryOptions, GetOrSetOptions } from './types.js';

export const MAX_KEY_LENGTH = 1024;
const MAX_TAG_LENGTH = 256;
const MAX_TAGS = 64;
const NAMESPACE_SEGMENT = /^[A-Za-z0-9_.-]{1,64}$/;
const OPTION_NAMES = new Set(['ttl', 'l1Ttl', 'grace', 'tags', 'lock']);

/** A resolved entry policy; every duration in whole milliseconds (Infinity allowed for ttl and grace). */
export interface EntryPolicy {
  ttl: number;
  l1Ttl: number;
  grace: number;
  tags: readonly string[];
  lock: boolean;
}

export function invalid(argument: string, message: string): never {
  throw new ValidationError(`${argument}: ${message}`, { details: { argument } });
}

export function checkKey(key: unknown, argument = 'key'): asserts key is string {
  if (typeof key !== 'string') invalid(argument, `expected a string, got ${describe(key)}`);
  if (key.length === 0) invalid(argument, 'must not be empty');
  if (key.length > MAX_KEY_LENGTH) invalid(argument, `longer than ${MAX_KEY_LENGTH} characters`);
}

/** A namespace segment (nested namespaces are joined with `/`) or a warm target name. */
export function checkName(name: unknown, argument = 'namespace'): asserts name is string {
  if (typeof name !== 'string' || !NAMESPACE_SEGMENT.test(name)) {
    invalid(argument, `use 1 to 64 letters, digits, dots, dashes or underscores, got ${describe(name)}`);
  }
}

export function checkTags(tags: unknown, argument = 'tags'): readonly string[] {
  const list = typeof tags === 'string' ? [tags] : tags;
  if (!Array.isArray(list))
    invalid(argument, `expected a string or an array of strings, got ${describe(tags)}`);
  if (list.length > MAX_TAGS) invalid(argument, `at most ${MAX_TAGS} tags`);
  for (const tag of list) {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_TAG_LENGTH) {
      invalid(argument, `each tag must be a non-empty string of at most ${MAX_TAG_LENGTH} characters`);
    }
  }
  return list.length < 2 ? list : [...new Set(list as string[])];
}

interface DurationRule {
  /** 0 is acceptable. */
  zero: boolean;
  /** Infinity is acceptable. */
  infinite: boolean;
}

export function parseDuration(value: unknown, argument: string, rule: DurationRule): number {
  const ms = typeof value === 'number' || typeof value === 'string' ? toMilliseconds(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    if (typeof value === 'number') invalid(argument, 'must not be NaN');
    invalid(argument, `expected ${durationSyntax('ms')}, got ${describe(value)}`);
  }
  if (ms < 0) invalid(argument, `must not be negative, got ${describe(value)}`);
  if (ms === 0 && !rule.zero) invalid(argument, 'must be greater than 0');
  if (ms === Number.POSITIVE_INFINITY) {
    if (!rule.infinite) invalid(argument, 'must be finite');
    return ms;
  }
  return Math.ceil(ms);
}

/** Validates per-call options against the configured defaults. */
export function resolvePolicy(
  options: GetOrSetOptions | EntryOptions | undefined,
  config: CacheConfig,
  allowLock = true,
): EntryPolicy {
  if (options === undefined) {
    return { ttl: config.ttlMs, l1Ttl: config.l1TtlMs, grace: config.graceMs, tags: [], lock: false };
  }
  if (typeof options !== 'object' || options === null)
    invalid('options', `expected an object, got ${describe(options)}`);
  for (const name in options) {
    if (!OPTION_NAMES.has(name) || (name === 'lock' && !allowLock))
      invalid(`options.${name}`, 'unknown option');
  }
  const lock = (options as GetOrSetOptions).lock;
  if (lock !== undefined && typeof lock !== 'boolean') invalid('options.lock', 'expected true or false');
  return {
    ttl: opt(options.ttl, 'options.ttl', { zero: false, infinite: true }, config.ttlMs),
    l1Ttl: opt(options.l1Ttl, 'options.l1Ttl', { zero: true, infinite: true }, config.l1TtlMs),
    grace: opt(options.grace, 'options.grace', { zero: true, infinite: true }, config.graceMs),
    tags: options.tags === undefined ? [] : checkTags(options.tags, 'options.tags'),
    lock: lock === true,
  };
}

function opt(value: Duration | undefined, argument: string, rule: DurationRule, fallback: number): number {
  return value === undefined ? fallback : parseDuration(value, argument, rule);
}

export function checkFunction(value: unknown, argument: string): void {
  if (typeof value !== 'function') invalid(argument, `expected a function, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  return Array.isArray(value) ? 'an array' : typeof value;
}
