import { Bench } from 'tinybench';

/** One measured piece of work. `batch` calls of the work happen in each timed call of `run`. */
export interface BenchCase {
  readonly name: string;
  readonly run: () => unknown;
  /** How many operations one call of `run` performs (default 1). */
  readonly batch?: number;
  /** What one operation is, for the printed unit (default "op"). */
  readonly unit?: string;
}

/** A measured rate. */
export interface Rate {
  readonly name: string;
  readonly perSecond: number;
  readonly unit: string;
}

const TIME_MS = Number(process.env['OPENMYNA_BENCH_MS'] ?? 1500);

/** Measures each case (baseline first) in the same run and prints rates with their ratio to the baseline. */
export async function compare(title: string, baseline: BenchCase, cases: readonly BenchCase[]): Promise<Rate[]> {
  const bench = new Bench({ time: TIME_MS, warmupTime: Math.min(500, TIME_MS / 3) });
  for (const item of [baseline, ...cases]) bench.add(item.name, item.run);
  await bench.run();
  const rates = [baseline, ...cases].map((item): Rate => {
    const task = bench.getTask(item.name);
    const result = task?.result;
    if (!result || !('period' in result)) throw new Error(`benchmark "${item.name}" did not complete`);
    return { name: item.name, perSecond: ((item.batch ?? 1) * 1000) / result.period, unit: item.unit ?? 'op' };
  });
  printRates(title, rates);
  return rates;
}

/** Prints rates as a table; the first row is the baseline the ratios refer to. */
export function printRates(title: string, rates: readonly Rate[]): void {
  const base = rates[0]!.perSecond;
  console.log(`\n${title}`);
  const width = Math.max(...rates.map((rate) => rate.name.length));
  rates.forEach((rate, index) => {
    const ratio = index === 0 ? 'baseline' : `${(rate.perSecond / base).toFixed(2)}× baseline`;
    console.log(`  ${rate.name.padEnd(width)}  ${formatRate(rate.perSecond).padStart(12)} ${rate.unit}/s  ${ratio}`);
  });
}

export function formatRate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return value.toFixed(1);
}
