// The benchmark's cases produce well-formed rows, with times and ratios from a clock the tests control (real times
// vary from machine to machine), and the timing takes medians of timed calls after warm-up.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths } from '../src/backend/fast';
import { cellStepCases, compositeNorm, compositeOf, mlpStepCase, normCase, oursNorm } from '../src/bench/cases';
import { drawStepCases } from '../src/bench/draw';
import { createBatchNorm } from '../src/norm/batch/batch-norm';
import { createLayerNorm } from '../src/norm/layer';
import { disposeModule } from '../src/util/module';
import { formatRow } from '../src/bench/run-bench';
import { interleavedMediansMs, medianMs } from '../src/bench/timing';
import { NORMALIZE } from '../src/backend/kernels/normalize';
import { GRU_FORWARD, LSTM_FORWARD } from '../src/backend/kernels/cells';
import { maxRelError, normSettings, onKernel, randomMatrix, useBackend } from './helpers';

const ONCE = { warmup: 1, warmupMs: 0, reps: 1, minReps: 1, budgetMs: 0 };

/** Replaces performance.now with `now`; returns the function that puts the real clock back. */
function setClock(now: () => number): () => void {
  performance.now = now;
  return () => void delete (performance as unknown as { now?: unknown }).now;
}

/**
 * Milliseconds a timed call takes on the fake clock, by what it ran: our fused recurrent cells, our fused normalization
 * kernel, tf.layers' normalization (FusedBatchNorm), matrix products alone (the floor), or else tfjs ops (composite,
 * a plain cell op by op).
 */
interface Costs {
  cells?: number;
  fused: number;
  layers: number;
  products: number;
  other: number;
}

/**
 * A clock that each reading moves on by the cost of the kernels run since the previous reading: a call timed
 * between two readings takes exactly its cost, so a case's times and ratios are known in advance.
 */
function fakeClock(costs: Costs): () => void {
  const ran = new Set<string>();
  const stopListening = onKernel((name) => ran.add(name));
  let now = 0;
  const restoreClock = setClock(() => {
    const names = [...ran];
    ran.clear();
    if (names.some((n) => n === LSTM_FORWARD || n === GRU_FORWARD)) now += costs.cells ?? NaN;
    else if (names.includes(NORMALIZE)) now += costs.fused;
    else if (names.includes('FusedBatchNorm')) now += costs.layers;
    else if (names.length > 0 && names.every((n) => n === 'BatchMatMul')) now += costs.products;
    else now += costs.other;
    return now;
  });
  return () => {
    restoreClock();
    stopListening();
  };
}

describe('bench cases [wasm]', () => {
  before(() => useBackend('wasm'));
  after(() => disableFastPaths());

  it('ln and bn rows: ours, composite and tf.layers times, and how many times faster ours is; no leaks', async () => {
    const tensors = tf.memory().numTensors;
    const restore = fakeClock({ fused: 2, other: 5, layers: 10, products: 1 });
    try {
      for (const kind of ['ln', 'bn'] as const) {
        const row = await normCase(kind, [4, 32], ONCE);
        assert.deepEqual(row, {
          case: kind,
          shape: [4, 32],
          ours_ms: 2,
          composite_ms: 5,
          ratio_composite: 2.5,
          stock_ms: 10,
          ratio: 5,
        });
        assert.match(
          formatRow(row),
          new RegExp(
            `^${kind} +\\[4,32\\] +ours +2\\.00 ms +composite +5\\.00 ms +ratio +2\\.50 +tf\\.layers +10\\.00 ms +ratio +5\\.0$`,
          ),
        );
      }
    } finally {
      restore();
    }
    assert.equal(tf.memory().numTensors, tensors);
  });

  it('the composite baselines compute what ours computes: values and gradients', async () => {
    for (const [axis, create, norm] of [
      [1, createLayerNorm, 'layer'],
      [0, createBatchNorm, 'batch'],
    ] as const) {
      const x = tf.tensor2d(randomMatrix(6, 10, 3, 2, 1));
      const dy = tf.tensor2d(randomMatrix(6, 10, 4));
      const ours = create({ name: 'ours', units: 10, settings: normSettings(norm) });
      const composite = compositeNorm(axis, 10);
      enableFastPaths();
      const a = tf.valueAndGrads((input: tf.Tensor) => ours.apply(input as tf.Tensor2D, true))([x], dy);
      disableFastPaths();
      const b = tf.valueAndGrads((input: tf.Tensor) => composite.apply(input))([x], dy);
      assert.ok(
        maxRelError(Array.from(await a.value.data()), Array.from(await b.value.data())) < 1e-5,
        `axis ${axis}: values`,
      );
      assert.ok(
        maxRelError(Array.from(await a.grads[0].data()), Array.from(await b.grads[0].data())) < 1e-4,
        `axis ${axis}: input gradients`,
      );
      composite.dispose();
      disposeModule(ours);
      tf.dispose([x, dy, a.value, b.value, ...a.grads, ...b.grads]);
    }
  });

  it('rms and gn rows: ours and composite, RMSNorm against our layer norm in the same alternation; composites compute what ours does', async () => {
    const restore = fakeClock({ fused: 2, other: 5, layers: 10, products: 1 });
    let rms, gn;
    try {
      rms = await normCase('rms', [4, 40], ONCE);
      gn = await normCase('gn', [4, 40], ONCE);
    } finally {
      restore();
    }
    // Both RMSNorm and layer norm run the fused normalize kernel (2 ms on this clock); group norm its own (other: 5).
    assert.deepEqual(rms, {
      case: 'rms',
      shape: [4, 40],
      ours_ms: 2,
      composite_ms: 5,
      ratio_composite: 2.5,
      stock_ms: undefined,
      ln_ms: 2,
      ratio_ln: 1,
    });
    assert.match(
      formatRow(rms),
      /^rms +\[4,40\] +ours +2\.00 ms +composite +5\.00 ms +ratio +2\.50 +our LN +2\.00 ms +LN\/ours +1\.00$/,
    );
    assert.equal(gn.case, 'gn');
    assert.match(formatRow(gn), /\(no tf\.layers equivalent\)$/);
    for (const kind of ['rms', 'gn'] as const) {
      const x = tf.tensor2d(randomMatrix(6, 40, 3, 2, 1));
      const dy = tf.tensor2d(randomMatrix(6, 40, 4));
      const ours = oursNorm(kind, 40);
      const composite = compositeOf(kind, 40);
      enableFastPaths();
      const a = tf.valueAndGrads((input: tf.Tensor) => ours.apply(input as tf.Tensor2D, true))([x], dy);
      disableFastPaths();
      const b = tf.valueAndGrads((input: tf.Tensor) => composite.apply(input))([x], dy);
      enableFastPaths();
      assert.ok(
        maxRelError(Array.from(await a.value.data()), Array.from(await b.value.data())) < 1e-5,
        `${kind}: values`,
      );
      assert.ok(
        maxRelError(Array.from(await a.grads[0].data()), Array.from(await b.grads[0].data())) < 1e-4,
        `${kind}: gradients`,
      );
      composite.dispose();
      disposeModule(ours);
      tf.dispose([x, dy, a.value, b.value, ...a.grads, ...b.grads]);
    }
  });

  it('cell_step rows: each norm fused and op by op, how many times faster fused is, and the norm cost', async () => {
    const tensors = tf.memory().numTensors;
    const restore = fakeClock({ cells: 4, fused: 9, other: 6, layers: 0, products: 0 });
    let rows;
    try {
      rows = await cellStepCases('lstm', 4, ONCE);
    } finally {
      restore();
    }
    const common = { case: 'cell_step', cell: 'lstm', batch: 4, ours_ms: 4, plain_ms: 4, overhead: 1 };
    assert.deepEqual(rows, [
      { ...common, norm: 'none', composite_ms: 6, ratio_composite: 1.5 },
      { ...common, norm: 'layer', composite_ms: 9, ratio_composite: 2.25 },
      { ...common, norm: 'batch', composite_ms: 9, ratio_composite: 2.25 },
      { ...common, norm: 'rms', composite_ms: 9, ratio_composite: 2.25 },
    ]);
    const line = formatRow({ ...rows[1], kernels: 160, kernels_composite: 1800, kernels_plain: 150 });
    assert.match(
      line,
      /^cell_step batch 4, LN-LSTM +ours +4\.00 ms +op by op +9\.00 ms \(2\.25x\) +plain +4\.00 ms +cost 1\.00x +kernels 160 \(op by op 1800, plain 150\)$/,
    );
    assert.equal(tf.memory().numTensors, tensors, 'no leaks');
  });

  it('draw_step rows: DRAW and LN-DRAW fused and op by op, cost against plain DRAW, kernels per step', async () => {
    const tensors = tf.memory().numTensors;
    const restore = fakeClock({ cells: 12, fused: 30, other: 20, layers: 0, products: 0 });
    let rows;
    try {
      rows = await drawStepCases(2, ONCE);
    } finally {
      restore();
    }
    const [plain, layer] = rows;
    const { kernels, kernels_composite, kernels_plain, ...times } = layer;
    assert.deepEqual(times, {
      case: 'draw_step',
      batch: 2,
      norm: 'layer',
      ours_ms: 12,
      composite_ms: 30,
      ratio_composite: 2.5,
      plain_ms: 12,
      overhead: 1,
    });
    assert.equal(plain.composite_ms, 20);
    assert.ok(
      kernels! < kernels_composite! && kernels_plain! < kernels!,
      `${kernels}, ${kernels_composite}, ${kernels_plain}`,
    );
    assert.match(formatRow(layer), /^draw_step batch 2, LN-DRAW +ours +12\.00 ms +op by op +30\.00 ms \(2\.50x\)/);
    assert.equal(tf.memory().numTensors, tensors, 'no leaks');
  });

  it('an mlp_step row: ours, composite, tf.layers and the floor of its matrix products, in a readable line', async () => {
    const restore = fakeClock({ fused: 4, other: 10, layers: 20, products: 1 });
    try {
      const row = await mlpStepCase('layer', 4, ONCE);
      assert.deepEqual(row, {
        case: 'mlp_step',
        batch: 4,
        norm: 'layer',
        ours_ms: 4,
        composite_ms: 10,
        ratio_composite: 2.5,
        stock_ms: 20,
        ratio: 5,
        floor_ms: 1,
      });
      assert.match(
        formatRow(row),
        /^mlp_step +batch 4, norm layer +ours +4\.00 ms +composite +10\.00 ms +ratio +2\.50 +tf\.layers +20\.00 ms +ratio +5\.0 +floor +1\.00 ms \(ours\/floor 4\.00\)$/,
      );
    } finally {
      restore();
    }
  });
});

describe('bench timing', () => {
  it('medianMs: the median of the timed calls, the warm-up calls untimed', async () => {
    let now = 0;
    const restore = setClock(() => now);
    try {
      const durations = [60, 60, 5, 1, 9, 3, 100]; // two warm-up calls (60 + 60 >= warmupMs), then five timed
      let calls = 0;
      const ms = await medianMs(() => void (now += durations[calls++]), {
        warmup: 2,
        warmupMs: 100,
        reps: 5,
        minReps: 5,
        budgetMs: 1e9,
      });
      assert.equal(calls, 7);
      assert.equal(ms, 5);
    } finally {
      restore();
    }
  });

  it('interleavedMediansMs: each call the median of its own times, setup untimed, the middle two averaged', async () => {
    let now = 0;
    const restore = setClock(() => now);
    try {
      const timed = (durations: number[]) => {
        let k = 0;
        return { setup: () => void (now += 1000), run: () => void (now += durations[k++]) };
      };
      // One warm-up call each (50 >= warmupMs), then four timed.
      const ms = await interleavedMediansMs([timed([50, 4, 1, 9, 3]), timed([50, 7, 2, 2, 8])], {
        warmup: 1,
        warmupMs: 10,
        reps: 4,
        minReps: 4,
        budgetMs: 1e9,
      });
      assert.deepEqual(ms, [3.5, 4.5]);
    } finally {
      restore();
    }
  });
});
