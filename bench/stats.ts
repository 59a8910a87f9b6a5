/**
 * Small statistics and formatting helpers for the benchmarks: percentiles, a seeded PRNG and a
 * shuffle, so every run draws the same workload and reports the same kinds of figures.
 */

/** A summary of samples: count, median, p90, p99, mean, min and max. */
export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/** The seeded PRNG the tests use too: the same sequence for the same seed. */
export { seededRandom } from '../test/support/random';

/**
 * The `p`-th percentile (0 to 100) of already sorted samples, by linear interpolation between the
 * closest ranks. NaN for no samples.
 */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (rank - low);
}

/** Summarises samples (in any unit). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    n: sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** The median of samples. */
export function median(samples: readonly number[]): number {
  return summarize(samples).p50;
}

/** A shuffled copy (Fisher-Yates) drawn from `random`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = copy[i] as T;
    copy[i] = copy[j] as T;
    copy[j] = a;
  }
  return copy;
}

/** Rounds to `digits` decimals, as a string (fixed), or `n/a` when not a finite number. */
export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** Bytes as KB with one decimal (1 KB = 1024 bytes). */
export function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** Bytes as MB with one decimal (1 MB = 1024² bytes). */
export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A ratio such as `1.23×`. */
export function times(ratio: number): string {
  return `${fixed(ratio, 2)}×`;
}

/** US dollars with enough decimals for small amounts, e.g. `$0.000412`. */
export function usd(amount: number): string {
  if (amount === 0) return '$0';
  if (amount >= 1) return `$${amount.toFixed(2)}`;
  return `$${amount.toPrecision(3)}`;
}
