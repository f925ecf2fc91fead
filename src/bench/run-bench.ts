// `ln-repro bench`: every case in one process, the table and the JSON record.
import type { NormKind } from '../norm/catalog';
import { cellStepCases, mlpStepCase, normCase, type BenchRow } from './cases';
import { drawStepCases } from './draw';
import { cellStepKernels, mlpStepKernels, normKernels } from './kernels';
import type { Repeats } from './timing';

const NORM_SHAPES: [number, number][] = [
  [4, 1000],
  [128, 1000],
  [1024, 1000],
];
const STEP_BATCHES = [4, 128];
const CELL_BATCH = 64;
const DRAW_BATCH = 64;
const NORMS: NormKind[] = ['none', 'layer', 'batch', 'rms', 'group'];

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
  for (const kind of ['ln', 'bn', 'rms', 'gn'] as const)
    for (const shape of NORM_SHAPES) {
      const { kernels, composite } = await normKernels(kind, shape);
      add({ ...(await normCase(kind, shape, plan.norm)), kernels, kernels_composite: composite });
    }
  for (const batch of STEP_BATCHES) {
    for (const norm of NORMS) {
      const { kernels, composite } = await mlpStepKernels(norm, batch);
      add({ ...(await mlpStepCase(norm, batch, plan.step)), kernels, kernels_composite: composite });
    }
  }
  for (const cell of ['lstm', 'gru'] as const) {
    const rows = await cellStepCases(cell, CELL_BATCH, plan.step);
    const plain = (await cellStepKernels(cell, 'none', CELL_BATCH)).kernels;
    for (const r of rows) {
      const { kernels, composite } = await cellStepKernels(cell, r.norm!, CELL_BATCH);
      add({ ...r, kernels, kernels_composite: composite, kernels_plain: plain });
    }
  }
  for (const r of await drawStepCases(DRAW_BATCH, plan.step)) add(r);
  return rows;
}

const NORM_PREFIX: Record<string, string> = { none: '', layer: 'LN-', batch: 'BN-', rms: 'RMS-' };

/** A cell_step or draw_step line: ours, op by op and how many times faster ours is, the norm's cost, the kernels. */
function recurrentLine(r: BenchRow, ms: (v: number) => string): string {
  const model = r.case === 'cell_step' ? (r.cell ?? 'lstm').toUpperCase() : 'DRAW';
  const what = `${r.case} batch ${r.batch}, ${NORM_PREFIX[r.norm ?? 'none']}${model}`;
  const opByOp = `op by op ${ms(r.composite_ms!)} (${r.ratio_composite!.toFixed(2)}x)`;
  const cost = `plain ${ms(r.plain_ms!)}  cost ${r.overhead!.toFixed(2)}x`;
  const kernels = `kernels ${r.kernels} (op by op ${r.kernels_composite}, plain ${r.kernels_plain})`;
  return `${what.padEnd(34)} ours ${ms(r.ours_ms)}  ${opByOp}  ${cost}  ${kernels}`;
}

export function formatRow(r: BenchRow): string {
  const ms = (v: number) => `${v.toFixed(2).padStart(8)} ms`;
  if (r.case === 'cell_step' || r.case === 'draw_step') return recurrentLine(r, ms);
  const what = r.case === 'mlp_step' ? `batch ${r.batch}, norm ${r.norm}` : `[${r.shape?.join(',')}]`;
  const composite = `composite ${ms(r.composite_ms!)}  ratio ${r.ratio_composite!.toFixed(2).padStart(6)}`;
  const layers =
    r.stock_ms !== undefined
      ? `tf.layers ${ms(r.stock_ms)}  ratio ${r.ratio!.toFixed(1).padStart(6)}`
      : r.ln_ms !== undefined
        ? `our LN    ${ms(r.ln_ms)}  LN/ours ${r.ratio_ln!.toFixed(2).padStart(4)}`
        : '(no tf.layers equivalent)';
  const floor =
    r.floor_ms === undefined ? '' : `  floor ${ms(r.floor_ms)} (ours/floor ${(r.ours_ms / r.floor_ms).toFixed(2)})`;
  const kernels = r.kernels === undefined ? '' : `  kernels ${r.kernels} (composite ${r.kernels_composite})`;
  return `${r.case.padEnd(9)} ${what.padEnd(24)} ours ${ms(r.ours_ms)}  ${composite}  ${layers}${floor}${kernels}`;
}
