// Confidence rating (reference/azure-migrate.md 2.8, 3): the share of expected 10-minute points
// present across every series the assessment needs (CPU, memory, four per disk, two per NIC).

export function dataPointsPercent(series: { points: number; expectedPoints: number }[]): number {
  let present = 0;
  let expected = 0;
  for (const s of series) {
    present += Math.min(s.points, s.expectedPoints);
    expected += s.expectedPoints;
  }
  return expected === 0 ? 0 : Math.round((present / expected) * 10_000) / 100;
}

/** 0-20 % one star ... 81-100 % five; the doc leaves fractions between bands open: 20.01 % is two stars. */
export function confidenceStars(percent: number): 1 | 2 | 3 | 4 | 5 {
  if (percent <= 20) return 1;
  if (percent <= 40) return 2;
  if (percent <= 60) return 3;
  if (percent <= 80) return 4;
  return 5;
}
