/**
 * A player's record, the same string in Redis (`player:<id>`) and in the database
 * (`mm_queue_players`): `q\t<mode>\t<region>\t<ticket>\t<joinedAt>` while queued, `m\t<match id>`
 * once matched. Plain strings so that Lua compares them byte for byte.
 */
export type PlayerRecord =
  | { state: 'queued'; mode: string; region: string; ticket: string; joinedAt: number; raw: string }
  | { state: 'matched'; match: string; raw: string };

export function queuedRecord(mode: string, region: string, ticket: string, joinedAt: number): string {
  return `q\t${mode}\t${region}\t${ticket}\t${joinedAt}`;
}

export function matchedRecord(match: string): string {
  return `m\t${match}`;
}

export function parseRecord(raw: string | null | undefined): PlayerRecord | null {
  if (raw === null || raw === undefined) return null;
  const parts = raw.split('\t');
  if (parts[0] === 'q' && parts.length === 5) {
    return {
      state: 'queued',
      mode: parts[1]!,
      region: parts[2]!,
      ticket: parts[3]!,
      joinedAt: Number(parts[4]),
      raw,
    };
  }
  if (parts[0] === 'm' && parts.length === 2) return { state: 'matched', match: parts[1]!, raw };
  return null;
}
