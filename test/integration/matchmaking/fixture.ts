/**
 * Matchmaking test fixture: instances of Plexus with the matchmaking app in one process, over one
 * Redis deployment and one database, each with a recording notifier; and checks over the matches
 * in the database (each player once, windows, parties, team balance).
 */
import { expect } from 'vitest';
import { createMatchmakingApp } from '../../../src/apps/matchmaking/app.js';
import type { MatchRecord } from '../../../src/apps/matchmaking/db/matches.js';
import type { MatchmakingEvent } from '../../../src/apps/matchmaking/notifier.js';
import type { Matchmaking } from '../../../src/apps/matchmaking/service.js';
import { createPlexus, type Jobs } from '../../../src/index.js';

export interface Notice {
  user: string;
  event: MatchmakingEvent;
  data: { match: { id: string; server: { id: string } | null } };
  at: number;
}

export interface Instance {
  mm: Matchmaking;
  jobs: Jobs;
  notices: Notice[];
  close(): Promise<void>;
}

export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const notices: Notice[] = [];
  const app = createMatchmakingApp({
    notifier: {
      notify: (user, event, data) => {
        notices.push({ user, event, data: data as Notice['data'], at: performance.now() });
      },
    },
  });
  const plexus = createPlexus({ apps: [app], env: { LOG_LEVEL: 'silent', ...env } });
  await plexus.start();
  return { mm: plexus.apps.matchmaking, jobs: plexus.jobs, notices, close: () => plexus.close() };
}

export function windowAt(
  joinedAt: number,
  at: number,
  w: { initial: number; growth: number; max: number },
): number {
  return Math.min(w.max, w.initial + (w.growth * Math.max(0, at - joinedAt)) / 1000);
}

/** Every player in at most one match; every ticket whole, on one team; windows and balance respected. */
export function checkMatches(
  matches: readonly MatchRecord[],
  modes: Record<string, { teams: number; teamSize: number; balance: boolean }>,
  w: { initial: number; growth: number; max: number },
): void {
  const seen = new Map<string, string>();
  for (const match of matches) {
    const mode = modes[match.mode]!;
    expect(match.players).toHaveLength(mode.teams * mode.teamSize);
    for (const p of match.players) {
      expect(seen.get(p.id), `player ${p.id} in ${seen.get(p.id)} and ${match.id}`).toBeUndefined();
      seen.set(p.id, match.id);
    }
    const tickets = new Map<string, { team: number; ratings: number[]; joinedAt: number }>();
    for (const p of match.players) {
      const t = tickets.get(p.ticket) ?? { team: p.team, ratings: [], joinedAt: p.joinedAt };
      expect(t.team, `party ${p.ticket} split across teams`).toBe(p.team);
      t.ratings.push(p.rating);
      tickets.set(p.ticket, t);
    }
    // Windows: every two tickets within both of their windows when the match was made (the
    // creation time is after the pairing script ran, and windows only widen, so this is an upper bound).
    const list = [...tickets.values()].map((t) => ({
      ...t,
      rating: t.ratings.reduce((s, r) => s + r, 0) / t.ratings.length,
      sum: t.ratings.reduce((s, r) => s + r, 0),
      window: windowAt(t.joinedAt, match.createdAt, w),
    }));
    for (const a of list) {
      for (const b of list) {
        expect(Math.abs(a.rating - b.rating)).toBeLessThanOrEqual(Math.min(a.window, b.window) + 1e-9);
      }
    }
    if (mode.balance) {
      const totals = new Array<number>(mode.teams).fill(0);
      for (const t of list) totals[t.team]! += t.sum;
      const spread = Math.max(...totals) - Math.min(...totals);
      expect(spread, `match ${match.id} not balanced`).toBe(bestSpread(list, mode.teams, mode.teamSize));
    }
  }
}

/** The smallest spread of team totals over every split that keeps tickets whole (brute force). */
function bestSpread(tickets: { sum: number; ratings: number[] }[], teams: number, teamSize: number): number {
  let best = Number.POSITIVE_INFINITY;
  const loads = new Array<number>(teams).fill(0);
  const totals = new Array<number>(teams).fill(0);
  const place = (i: number) => {
    if (i === tickets.length) {
      best = Math.min(best, Math.max(...totals) - Math.min(...totals));
      return;
    }
    for (let t = 0; t < teams; t++) {
      const size = tickets[i]!.ratings.length;
      if (loads[t]! + size > teamSize) continue;
      loads[t]! += size;
      totals[t]! += tickets[i]!.sum;
      place(i + 1);
      loads[t]! -= size;
      totals[t]! -= tickets[i]!.sum;
    }
  };
  place(0);
  return best;
}
