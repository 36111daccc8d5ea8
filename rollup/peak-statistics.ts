import { quantileSorted } from 'simple-statistics';

// Percentiles and confidence (pure): Azure Migrate sorts a history's 10-minute points ascending and
// takes the percentile value (docs/azure-migrate.md §5); the rating is the share of expected
// points present across every series the assessment needs (§6).

export interface SeriesPercentiles {
  points: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Percentiles over points already sorted ascending (simple-statistics quantileSorted). */
export function percentilesOfSorted(sorted: ArrayLike<number>): SeriesPercentiles {
  const n = sorted.length;
  if (n === 0) return { points: 0, p50: null, p90: null, p95: null, p99: null, max: null };
  const arr = sorted as unknown as number[];
  return {
    points: n,
    p50: quantileSorted(arr, 0.5),
    p90: quantileSorted(arr, 0.9),
    p95: quantileSorted(arr, 0.95),
    p99: quantileSorted(arr, 0.99),
    max: sorted[n - 1] ?? null,
  };
}

/** Sorts a copy ascending and computes the percentiles. */
export function percentilesOf(values: ArrayLike<number>): SeriesPercentiles {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  return percentilesOfSorted(sorted);
}

/** Present over expected points across every needed series, as a percentage (0..100, two decimals). */
export function dataPointsPercent(series: { points: number; expectedPoints: number }[]): number {
  let present = 0;
  let expected = 0;
  for (const s of series) {
    present += Math.min(s.points, s.expectedPoints);
    expected += s.expectedPoints;
  }
  if (expected === 0) return 0;
  return Math.round((present / expected) * 10_000) / 100;
}

/** Azure Migrate's confidence stars: 1 for at most 20 %, 2 up to 40 %, 3 up to 60 %, 4 up to 80 %, 5 above. */
export function confidenceStars(percent: number): 1 | 2 | 3 | 4 | 5 {
  if (percent <= 20) return 1;
  if (percent <= 40) return 2;
  if (percent <= 60) return 3;
  if (percent <= 80) return 4;
  return 5;
}
