// `ln-repro bench`: every case in one process, the table and the JSON record.
import type { NormKind } from '../config/schema';
import { cellStepCase, mlpStepCase, normCase, type BenchRow } from './cases';
import type { Repeats } from './timing';

export const NORM_SHAPES: [number, number][] = [
  [4, 1000],
  [128, 1000],
  [1024, 1000],
];
export const STEP_BATCHES = [4, 128];
export const CELL_BATCH = 64;
const NORMS: NormKind[] = ['none', 'layer', 'batch'];

export interface BenchPlan {
  norm: Repeats;
  step: Repeats;
}

/**
 * --quick: fewer and shorter repetitions of the same cases (so its ratios answer the same questions); a stock
 * call that takes seconds (layer norm at [1024,1000]) is then timed once after one warm-up call.
 */
export function planFor(quick: boolean): BenchPlan {
  return quick
    ? { norm: { warmup: 2, warmupMs: 300, reps: 9, minReps: 1, budgetMs: 1500 }, step: { warmup: 2, warmupMs: 300, reps: 11, minReps: 3, budgetMs: 2500 } }
    : { norm: { warmup: 3, warmupMs: 1000, reps: 31, minReps: 3, budgetMs: 8000 }, step: { warmup: 3, warmupMs: 1000, reps: 21, minReps: 5, budgetMs: 10000 } };
}

export function runBench(plan: BenchPlan, onRow: (row: BenchRow) => void = () => {}): BenchRow[] {
  const rows: BenchRow[] = [];
  const add = (r: BenchRow) => {
    rows.push(r);
    onRow(r);
  };
  for (const shape of NORM_SHAPES) add(normCase('ln', shape, plan.norm));
  for (const shape of NORM_SHAPES) add(normCase('bn', shape, plan.norm));
  for (const batch of STEP_BATCHES) for (const norm of NORMS) add(mlpStepCase(norm, batch, plan.step));
  for (const norm of ['layer', 'batch'] as const) add(cellStepCase(norm, CELL_BATCH, plan.step));
  return rows;
}

export function formatRow(r: BenchRow): string {
  if (r.case === 'cell_step') {
    return `cell_step batch ${r.batch}, ${r.norm === 'layer' ? 'LN' : 'BN'}-LSTM`.padEnd(34) + ` ours ${r.ours_ms.toFixed(2).padStart(8)} ms  plain LSTM ${r.plain_ms!.toFixed(2).padStart(8)} ms  cost ${r.overhead!.toFixed(2)}x`;
  }
  const what = r.case === 'mlp_step' ? `batch ${r.batch}, norm ${r.norm}` : `[${r.shape?.join(',')}]`;
  const floor = r.floor_ms === undefined ? '' : `  floor ${r.floor_ms.toFixed(2)} ms (ours/floor ${(r.ours_ms / r.floor_ms).toFixed(2)})`;
  return `${r.case.padEnd(9)} ${what.padEnd(24)} ours ${r.ours_ms.toFixed(2).padStart(8)} ms  stock ${r.stock_ms.toFixed(2).padStart(8)} ms  ratio ${r.ratio.toFixed(1).padStart(5)}${floor}`;
}
