/**
 * The public name of a session: a hash of its id. A session id works as a credential, so it never
 * leaves the cookie and the session's own key; responses (the session list) and pub/sub messages
 * (local cache invalidation) name sessions by handle instead.
 */
import { createHash } from 'node:crypto';

/** Handles already computed, by session id; cleared when full. */
const handles = new Map<string, string>();
const HANDLE_CACHE_SIZE = 10_000;

/** 22 base64url characters (132 bits) of SHA-256 of the id. */
export function sessionHandle(sessionId: string): string {
  let name = handles.get(sessionId);
  if (name === undefined) {
    name = createHash('sha256').update(sessionId).digest('base64url').slice(0, 22);
    if (handles.size >= HANDLE_CACHE_SIZE) handles.clear();
    handles.set(sessionId, name);
  }
  return name;
}
