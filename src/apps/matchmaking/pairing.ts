/**
 * The pairing algorithm, written once in TypeScript for the in-process store and the database
 * fallback, and mirrored line for line by lua/mm_pair.lua (test/unit/matchmaking-pairing.test.ts
 * runs both on the same queues and compares).
 *
 * A ticket is one player or a party (2–4 players matched together). Its rating is its players'
 * average; its window (the rating difference it accepts) is `initial + growth × waited seconds`,
 * capped at `max`. Anchors are taken oldest first (with more tickets than the scan budget, the
 * oldest half of the budget and the newest half). For each, candidates are walked outward from
 * its place in the rating order (closest rating first, the lower side first on a tie, at most
 * `REACH` places either way), and one is added when it fits: room left in the match, its rating
 * within the window of every ticket chosen so far and theirs within its window (|a − b| ≤
 * min(wa, wb)), and the parties still packable into the teams. A full match is split into teams
 * by an exhaustive search (≤ 10 players) for the smallest spread of team rating totals, or the
 * first valid split when the mode does not balance. Matched tickets leave the queue at once, so
 * no ticket is ever in two matches of one run, and the Lua version removes them from Redis in the
 * same script, so none is in two matches across runs or instances either.
 */

export interface QueuedPlayer {
  id: string;
  rating: number;
}

/** What is stored per ticket (JSON in Redis beside its member string, columns in the database). */
export interface Ticket {
  id: string;
  players: QueuedPlayer[];
  joinedAt: number;
}

export interface PairParams {
  now: number;
  teams: number;
  teamSize: number;
  balance: boolean;
  initial: number;
  growth: number;
  max: number;
  maxMatches: number;
  maxAnchors: number;
  /**
   * Pair around this ticket only (its id): what a join does for the joining ticket, so that a
   * player whose partner is already waiting is matched at once rather than at the next tick.
   */
  anchor?: string;
}

export interface ProposedMatch {
  /** The tickets in the order they were chosen (the anchor first), each with its team (0-based). */
  entries: { ticket: Ticket; team: number }[];
}

/** How many places either side of the anchor, in rating order, a search looks at. */
export const REACH = 32;

/**
 * The ticket's member in the queue's sorted sets: `<id>\t<players>\t<rating sum>\t<joinedAt>`,
 * everything the pairing script needs to weigh a candidate without reading or decoding anything
 * else (the ticket's JSON is read only for the tickets a match takes). Members begin with the id
 * and a tab sorts before every id character, so equal scores order by id, as `snapshotOf` does.
 */
export function ticketMember(ticket: Ticket): string {
  let sum = 0;
  for (const p of ticket.players) sum += p.rating;
  return `${ticket.id}\t${ticket.players.length}\t${sum}\t${ticket.joinedAt}`;
}

export function ticketRating(ticket: Ticket): number {
  let sum = 0;
  for (const p of ticket.players) sum += p.rating;
  return sum / ticket.players.length;
}

export function ticketWindow(
  ticket: Ticket,
  p: Pick<PairParams, 'now' | 'initial' | 'growth' | 'max'>,
): number {
  const w = p.initial + (p.growth * Math.max(0, p.now - ticket.joinedAt)) / 1000;
  return Math.min(p.max, w);
}

/** Whether parties of these sizes can fill `teams` teams of `teamSize` (so far: without overflow). */
export function packable(sizes: readonly number[], teams: number, teamSize: number): boolean {
  const loads = new Array<number>(teams).fill(0);
  const place = (i: number): boolean => {
    if (i === sizes.length) return true;
    for (let t = 0; t < teams; t++) {
      if (loads[t]! + sizes[i]! <= teamSize) {
        loads[t]! += sizes[i]!;
        if (place(i + 1)) return true;
        loads[t]! -= sizes[i]!;
      }
    }
    return false;
  };
  return place(0);
}

/** Team per ticket: the smallest spread of team totals (or the first split), in enumeration order. */
export function splitTeams(
  tickets: readonly Ticket[],
  teams: number,
  teamSize: number,
  balance: boolean,
): number[] {
  const sizes = tickets.map((t) => t.players.length);
  const sums = tickets.map((t) => t.players.reduce((s, p) => s + p.rating, 0));
  const loads = new Array<number>(teams).fill(0);
  const totals = new Array<number>(teams).fill(0);
  const current = new Array<number>(tickets.length).fill(0);
  let best: number[] | undefined;
  let bestSpread = Number.POSITIVE_INFINITY;
  const place = (i: number): boolean => {
    if (i === tickets.length) {
      const spread = Math.max(...totals) - Math.min(...totals);
      if (spread < bestSpread) {
        bestSpread = spread;
        best = [...current];
      }
      return !balance || spread === 0;
    }
    for (let t = 0; t < teams; t++) {
      if (loads[t]! + sizes[i]! <= teamSize) {
        loads[t]! += sizes[i]!;
        totals[t]! += sums[i]!;
        current[i] = t;
        const done = place(i + 1);
        loads[t]! -= sizes[i]!;
        totals[t]! -= sums[i]!;
        if (done) return true;
      }
    }
    return false;
  };
  place(0);
  if (best === undefined) throw new Error('splitTeams: tickets do not fill the teams');
  return best;
}

/** A queue being paired: tickets in rating order (rating, then id) and anchors oldest first. */
export interface QueueSnapshot {
  byRating: Ticket[];
  byAge: Ticket[];
}

const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function snapshotOf(tickets: readonly Ticket[]): QueueSnapshot {
  const rated = tickets.map((t) => ({ t, r: ticketRating(t) }));
  rated.sort((a, b) => a.r - b.r || compareIds(a.t.id, b.t.id));
  const byAge = [...tickets].sort((a, b) => a.joinedAt - b.joinedAt || compareIds(a.id, b.id));
  return { byRating: rated.map((x) => x.t), byAge };
}

/**
 * Every ticket, or the oldest half of the budget and the newest half: a crowd of old tickets that
 * nobody can match must not keep new arrivals from being looked at.
 */
export function anchorsOf(byAge: readonly Ticket[], max: number): readonly Ticket[] {
  if (byAge.length <= max) return byAge;
  const oldest = Math.ceil(max / 2);
  return [...byAge.slice(0, oldest), ...byAge.slice(byAge.length - (max - oldest))];
}

/** Pairs what it can; removes matched tickets from `queue.byRating`. */
export function pairQueue(queue: QueueSnapshot, p: PairParams): ProposedMatch[] {
  const needed = p.teams * p.teamSize;
  const taken = new Set<string>();
  const matches: ProposedMatch[] = [];
  const anchors =
    p.anchor === undefined
      ? anchorsOf(queue.byAge, p.maxAnchors)
      : queue.byAge.filter((t) => t.id === p.anchor);
  for (const anchor of anchors) {
    if (matches.length >= p.maxMatches) break;
    if (taken.has(anchor.id)) continue;
    const order = queue.byRating;
    const rank = order.indexOf(anchor);
    const from = Math.max(0, rank - REACH);
    const slice = order.slice(from, rank + REACH + 1);
    const at = rank - from;
    const ra = ticketRating(anchor);
    const wa = ticketWindow(anchor, p);
    const chosen: Ticket[] = [anchor];
    const windows: number[] = [wa];
    let count = anchor.players.length;
    let lo = at - 1;
    let hi = at + 1;
    while (count < needed) {
      const dlo = lo >= 0 ? ra - ticketRating(slice[lo]!) : Number.POSITIVE_INFINITY;
      const dhi = hi < slice.length ? ticketRating(slice[hi]!) - ra : Number.POSITIVE_INFINITY;
      let candidate: Ticket;
      if (dlo <= dhi && dlo <= wa) {
        candidate = slice[lo]!;
        lo -= 1;
      } else if (dhi <= wa) {
        candidate = slice[hi]!;
        hi += 1;
      } else break;
      const size = candidate.players.length;
      if (count + size > needed) continue;
      const rc = ticketRating(candidate);
      const wc = ticketWindow(candidate, p);
      let near = true;
      for (let i = 0; i < chosen.length; i++) {
        if (Math.abs(rc - ticketRating(chosen[i]!)) > Math.min(wc, windows[i]!)) {
          near = false;
          break;
        }
      }
      if (!near) continue;
      const sizes = [...chosen.map((t) => t.players.length), size];
      if (!packable(sizes, p.teams, p.teamSize)) continue;
      chosen.push(candidate);
      windows.push(wc);
      count += size;
    }
    if (count < needed) continue;
    const teams = splitTeams(chosen, p.teams, p.teamSize, p.balance);
    matches.push({ entries: chosen.map((ticket, i) => ({ ticket, team: teams[i]! })) });
    for (const t of chosen) taken.add(t.id);
    queue.byRating = order.filter((t) => !taken.has(t.id));
  }
  return matches;
}
