// The benchmark's cases produce well-formed rows (no timing is asserted: times vary from machine to machine).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths } from '../src/backend/fast';
import { cellStepCase, compositeNorm, mlpStepCase, normCase } from '../src/bench/cases';
import { createBatchNorm } from '../src/norm/batch-norm';
import { createLayerNorm } from '../src/norm/layer-norm';
import { formatRow } from '../src/bench/run-bench';
import { maxRelError, randomMatrix, useBackend } from './helpers';

const ONCE = { warmup: 1, warmupMs: 0, reps: 1, minReps: 1, budgetMs: 0 };

describe('bench cases [wasm]', () => {
  before(() => useBackend('wasm'));
  after(() => disableFastPaths());

  it('ln and bn rows compare ours with the composite and the tf.layers versions, and leak nothing', () => {
    const tensors = tf.memory().numTensors;
    for (const kind of ['ln', 'bn'] as const) {
      const row = normCase(kind, [4, 32], ONCE);
      assert.equal(row.case, kind);
      assert.deepEqual(row.shape, [4, 32]);
      assert.ok(row.ours_ms > 0 && row.stock_ms > 0 && row.composite_ms! > 0);
      assert.equal(row.ratio_composite, row.composite_ms! / row.ours_ms);
      assert.match(
        formatRow(row),
        new RegExp(
          `^${kind} +\\[4,32\\] +ours +\\d+\\.\\d\\d ms +composite +\\d+\\.\\d\\d ms +ratio +\\d+\\.\\d\\d +tf\\.layers +\\d+\\.\\d\\d ms +ratio +\\d+\\.\\d$`,
        ),
      );
    }
    assert.equal(tf.memory().numTensors, tensors);
  });

  it('the composite baselines compute what ours computes: values and gradients', async () => {
    for (const [axis, create] of [
      [1, createLayerNorm],
      [0, createBatchNorm],
    ] as const) {
      const x = tf.tensor2d(randomMatrix(6, 10, 3, 2, 1));
      const dy = tf.tensor2d(randomMatrix(6, 10, 4));
      const ours = create({
        name: 'ours',
        units: 10,
        epsilon: 1e-5,
        gainInit: 1,
        biasInit: 0,
        statistics: 'running',
        momentum: 0.9,
      });
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
      tf.dispose([x, dy, a.value, b.value, ...a.grads, ...b.grads, ...ours.trainable, ...ours.state]);
    }
  });

  it('a cell_step row compares the normalized LSTM step with the plain one', () => {
    const row = cellStepCase('layer', 4, ONCE);
    assert.equal(row.case, 'cell_step');
    assert.ok((row.plain_ms ?? 0) > 0 && row.ours_ms > 0);
    assert.equal(row.overhead, row.ours_ms / row.plain_ms!);
    assert.match(
      formatRow(row),
      /^cell_step batch 4, LN-LSTM +ours +\d+\.\d\d ms +plain LSTM +\d+\.\d\d ms +cost \d+\.\d\dx$/,
    );
  });

  it('an mlp_step row has a floor and a readable line', () => {
    const row = mlpStepCase('layer', 4, ONCE);
    assert.equal(row.case, 'mlp_step');
    assert.equal(row.batch, 4);
    assert.ok((row.floor_ms ?? 0) > 0);
    assert.ok(row.composite_ms! > 0);
    assert.match(
      formatRow(row),
      /^mlp_step +batch 4, norm layer +ours +\d+\.\d\d ms +composite +\d+\.\d\d ms +ratio +\d+\.\d\d +tf\.layers +\d+\.\d\d ms +ratio +\d+\.\d +floor/,
    );
  });
});
