// RMSNorm (Zhang & Sennrich 2019) as normalizeScaleShift without re-centering: y = g * a / sqrt(mean(a^2) + eps) + b
// per example. Forward values and the gradients of a, g and b against a float64 reference and its finite
// differences, through the fused kernels and the composite ops, on cpu and wasm; and what sets it apart from layer
// norm (not invariant to re-centering, invariant to re-scaling).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths } from '../src/backend/fast';
import { NORMALIZE } from '../src/backend/kernels/normalize';
import { normalizeScaleShift } from '../src/norm/normalize';
import { finiteDifference, maxRelError, randomMatrix, TEST_BACKENDS, useBackend } from './helpers';

const EPS = 1e-5;

/** y = g * a / sqrt(mean(a^2) + eps) + b per row, in float64. */
function rmsRef(x: number[][], gain: number[], bias: number[]): number[][] {
  return x.map((row) => {
    const rms = Math.sqrt(row.reduce((s, v) => s + v * v, 0) / row.length + EPS);
    return row.map((v, j) => (gain[j] * v) / rms + bias[j]);
  });
}

const rms = (x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D) =>
  normalizeScaleShift({ x, gain, bias, axis: 1, epsilon: EPS, center: false });

for (const backend of TEST_BACKENDS) {
  for (const fused of [true, false]) {
    describe(`RMSNorm on ${backend}, ${fused ? 'fused kernels' : 'composite ops'}`, () => {
      before(async () => {
        await useBackend(backend);
        if (fused) enableFastPaths();
        else disableFastPaths();
      });
      after(() => enableFastPaths());

      for (const [rows, cols] of [
        [3, 7],
        [4, 1000],
      ] as const) {
        it(`[${rows},${cols}]: values and the gradients of a, g and b match float64 and finite differences`, async () => {
          assert.equal(tf.getKernel(NORMALIZE, backend) !== undefined, fused, 'the path under test');
          const x = randomMatrix(rows, cols, 11).map((r) => r.map((v) => v + 0.5)); // a mean far from 0
          const gain = Array.from({ length: cols }, (_, j) => 1 + 0.1 * Math.sin(j));
          const bias = Array.from({ length: cols }, (_, j) => 0.05 * Math.cos(j));
          const w = randomMatrix(rows, cols, 12);
          const [xt, gt, bt, wt] = [tf.tensor2d(x), tf.tensor1d(gain), tf.tensor1d(bias), tf.tensor2d(w)];
          const y = (await rms(xt, gt, bt).array()) as number[][];
          assert.ok(maxRelError(y, rmsRef(x, gain, bias)) < 1e-5, 'values');
          const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(rms(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D), wt));
          const [dx, dg, db] = await Promise.all(
            tf
              .grads(loss)([xt, gt, bt])
              .map((t) => t.data()),
          );
          const refLoss = (xs: number[][], g: number[], b: number[]) =>
            rmsRef(xs, g, b).reduce((s, row, i) => s + row.reduce((t, v, j) => t + v * w[i][j], 0), 0);
          const chunk = (flat: number[]) =>
            Array.from({ length: rows }, (_, i) => flat.slice(i * cols, (i + 1) * cols));
          const fdx = finiteDifference((f) => refLoss(chunk(f), gain, bias), x.flat());
          const fdg = finiteDifference((g) => refLoss(x, g, bias), gain);
          const fdb = finiteDifference((b) => refLoss(x, gain, b), bias);
          assert.ok(maxRelError(Array.from(dx), fdx) < 1e-4, 'da');
          assert.ok(maxRelError(Array.from(dg), fdg) < 1e-4, 'dg');
          assert.ok(maxRelError(Array.from(db), fdb) < 1e-4, 'db');
          tf.dispose([xt, gt, bt, wt]);
        });
      }

      it('is invariant to re-scaling an example, not to re-centering it (layer norm is to both)', async () => {
        const x = tf.tensor2d(randomMatrix(2, 16, 13));
        const [g, b] = [tf.ones([16]) as tf.Tensor1D, tf.zeros([16]) as tf.Tensor1D];
        const base = (await rms(x, g, b).array()) as number[][];
        const scaled = (await rms(tf.mul(x, 3) as tf.Tensor2D, g, b).array()) as number[][];
        const shifted = (await rms(tf.add(x, 0.7) as tf.Tensor2D, g, b).array()) as number[][];
        assert.ok(maxRelError(scaled, base) < 1e-5, 're-scaling');
        assert.ok(maxRelError(shifted, base) > 0.1, 're-centering changes it');
        const ln = (a: tf.Tensor2D) => normalizeScaleShift({ x: a, gain: g, bias: b, axis: 1, epsilon: EPS });
        const lnShifted = (await ln(tf.add(x, 0.7) as tf.Tensor2D).array()) as number[][];
        assert.ok(maxRelError(lnShifted, (await ln(x).array()) as number[][]) < 1e-4, 'layer norm is not moved');
      });
    });
  }
}

describe('RMSNorm refuses batch statistics', () => {
  it('center false takes axis 1 only', () => {
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    assert.throws(
      () => normalizeScaleShift({ x, gain: tf.ones([3]), bias: tf.zeros([3]), axis: 0, epsilon: EPS, center: false }),
      /axis 1 only/,
    );
  });
});
