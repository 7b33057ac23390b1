/**
 * Opaque cursors for paged lists (seed 004's cursor-based pagination): the position after the last
 * item served, as base64url JSON. Clients pass a cursor back unchanged; anything else is refused by
 * the caller with its own 400 code. Lists page with a cursor and a bounded `limit`, never offsets.
 */

export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** The position in `cursor`, or undefined when it is not one `encodeCursor` made with a valid shape. */
export function decodeCursor<T>(cursor: string, valid: (position: unknown) => position is T): T | undefined {
  try {
    const position: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return valid(position) ? position : undefined;
  } catch {
    return undefined;
  }
}
