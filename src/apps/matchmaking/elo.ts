/**
 * ELO for matches of two or more teams. A team's rating is its players' average; each team plays
 * every other once (score 1 for the winner's side, 0.5 each on a draw), and every player of a team
 * moves by K × the team's average of (score − expected) over its opponents, rounded.
 */
export function eloDeltas(teamRatings: readonly number[], winner: number | null, k: number): number[] {
  const teams = teamRatings.length;
  return teamRatings.map((ra, i) => {
    let total = 0;
    for (let j = 0; j < teams; j++) {
      if (j === i) continue;
      const expected = 1 / (1 + 10 ** ((teamRatings[j]! - ra) / 400));
      const score = winner === null ? 0.5 : winner === i ? 1 : winner === j ? 0 : 0.5;
      total += score - expected;
    }
    return Math.round((k * total) / (teams - 1));
  });
}
