// `ln-repro bench`: every case in one process, the table and the JSON record.
import type { NormKind } from '../norm/catalog';
import { cellStepCase, mlpStepCase, normCase, type BenchRow } from './cases';
import { drawStepCase } from './draw';
import { cellStepKernels, mlpStepKernels } from './kernels';
import type { Repeats } from './timing';

const NORM_SHAPES: [number, number][] = [
  [4, 1000],
  [128, 1000],
  [1024, 1000],
];
const STEP_BATCHES = [4, 128];
const CELL_BATCH = 64;
const DRAW_BATCH = 64;
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
    ? {
        norm: { warmup: 2, warmupMs: 300, reps: 9, minReps: 1, budgetMs: 1000 },
        step: { warmup: 2, warmupMs: 300, reps: 9, minReps: 3, budgetMs: 1000 },
      }
    : {
        norm: { warmup: 3, warmupMs: 1000, reps: 31, minReps: 3, budgetMs: 8000 },
        step: { warmup: 3, warmupMs: 1000, reps: 21, minReps: 5, budgetMs: 10000 },
      };
}

export async function runBench(plan: BenchPlan, onRow: (row: BenchRow) => void = () => {}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const add = (r: BenchRow) => {
    rows.push(r);
    onRow(r);
  };
  for (const shape of NORM_SHAPES) add(await normCase('ln', shape, plan.norm));
  for (const shape of NORM_SHAPES) add(await normCase('bn', shape, plan.norm));
  for (const batch of STEP_BATCHES) {
    for (const norm of NORMS) {
      const { kernels, composite } = await mlpStepKernels(norm, batch);
      add({ ...(await mlpStepCase(norm, batch, plan.step)), kernels, kernels_composite: composite });
    }
  }
  for (const norm of ['layer', 'batch'] as const) {
    const { kernels, plain } = await cellStepKernels(norm, CELL_BATCH);
    add({ ...(await cellStepCase(norm, CELL_BATCH, plan.step)), kernels, kernels_plain: plain });
  }
  add(await drawStepCase(DRAW_BATCH, plan.step));
  return rows;
}

export function formatRow(r: BenchRow): string {
  const ms = (v: number) => `${v.toFixed(2).padStart(8)} ms`;
  if (r.case === 'cell_step') {
    const kernels = r.kernels === undefined ? '' : `  kernels ${r.kernels} (plain LSTM ${r.kernels_plain})`;
    return (
      `cell_step batch ${r.batch}, ${r.norm === 'layer' ? 'LN' : 'BN'}-LSTM`.padEnd(34) +
      ` ours ${ms(r.ours_ms)}  plain LSTM ${ms(r.plain_ms!)}  cost ${r.overhead!.toFixed(2)}x${kernels}`
    );
  }
  if (r.case === 'draw_step') {
    return (
      `draw_step batch ${r.batch}, LN-DRAW`.padEnd(34) +
      ` ours ${ms(r.ours_ms)}  plain DRAW ${ms(r.plain_ms!)}  cost ${r.overhead!.toFixed(2)}x` +
      `  kernels ${r.kernels} (plain DRAW ${r.kernels_plain})`
    );
  }
  const what = r.case === 'mlp_step' ? `batch ${r.batch}, norm ${r.norm}` : `[${r.shape?.join(',')}]`;
  const composite = `composite ${ms(r.composite_ms!)}  ratio ${r.ratio_composite!.toFixed(2).padStart(6)}`;
  const layers = `tf.layers ${ms(r.stock_ms)}  ratio ${r.ratio.toFixed(1).padStart(6)}`;
  const floor =
    r.floor_ms === undefined ? '' : `  floor ${ms(r.floor_ms)} (ours/floor ${(r.ours_ms / r.floor_ms).toFixed(2)})`;
  const kernels = r.kernels === undefined ? '' : `  kernels ${r.kernels} (composite ${r.kernels_composite})`;
  return `${r.case.padEnd(9)} ${what.padEnd(24)} ours ${ms(r.ours_ms)}  ${composite}  ${layers}${floor}${kernels}`;
}
