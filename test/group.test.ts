// Group norm (Wu & He 2018) as groupNormalize: per example, statistics over each group of channels at every position
// of [batch, positions * channels] (channel fastest). Values and the gradients of a, g and b against a float64
// reference and its finite differences, through the fused kernels and the composite ops, on cpu and wasm; and its
// two identities: one group is layer norm over (positions, channels), one group per channel is instance norm.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths } from '../src/backend/fast';
import { GROUP_NORMALIZE } from '../src/backend/kernels/group-normalize';
import { groupNormalize } from '../src/norm/group-normalize';
import { normalizeScaleShift } from '../src/norm/normalize';
import { finiteDifference, maxRelError, randomMatrix, TEST_BACKENDS, useBackend } from './helpers';

const EPS = 1e-5;

/** Group norm of one example's P * C values (channel fastest), in float64. */
function groupRef(x: number[][], gain: number[], bias: number[], groups: number): number[][] {
  const C = gain.length;
  const size = C / groups;
  return x.map((row) => {
    const out = new Array<number>(row.length);
    for (let k = 0; k < groups; k++) {
      const idx = row.map((_, i) => i).filter((i) => Math.floor((i % C) / size) === k);
      const mu = idx.reduce((s, i) => s + row[i], 0) / idx.length;
      const v = idx.reduce((s, i) => s + (row[i] - mu) ** 2, 0) / idx.length;
      for (const i of idx) out[i] = (gain[i % C] * (row[i] - mu)) / Math.sqrt(v + EPS) + bias[i % C];
    }
    return out;
  });
}

const gn = (x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, groups: number) =>
  groupNormalize({ x, gain, bias, groups, epsilon: EPS });

/** [rows, positions, channels, groups] */
const SHAPES = [
  [3, 1, 6, 2],
  [2, 4, 6, 3],
  [2, 5, 4, 1],
  [2, 3, 4, 4],
] as const;

for (const backend of TEST_BACKENDS) {
  for (const fused of [true, false]) {
    describe(`group norm on ${backend}, ${fused ? 'fused kernels' : 'composite ops'}`, () => {
      before(async () => {
        await useBackend(backend);
        if (fused) enableFastPaths();
        else disableFastPaths();
      });
      after(() => enableFastPaths());

      for (const [rows, positions, channels, groups] of SHAPES) {
        it(`${rows} examples, ${positions} positions, ${channels} channels in ${groups} groups: values and gradients match float64 and finite differences`, async () => {
          assert.equal(tf.getKernel(GROUP_NORMALIZE, backend) !== undefined, fused, 'the path under test');
          const cols = positions * channels;
          const x = randomMatrix(rows, cols, 21).map((r) => r.map((v, i) => v + 0.3 * (i % channels))); // group means differ
          const gain = Array.from({ length: channels }, (_, j) => 1 + 0.2 * Math.sin(j + 1));
          const bias = Array.from({ length: channels }, (_, j) => 0.1 * Math.cos(j));
          const w = randomMatrix(rows, cols, 22);
          const [xt, gt, bt, wt] = [tf.tensor2d(x), tf.tensor1d(gain), tf.tensor1d(bias), tf.tensor2d(w)];
          const y = (await gn(xt, gt, bt, groups).array()) as number[][];
          assert.ok(maxRelError(y, groupRef(x, gain, bias, groups)) < 1e-5, 'values');
          const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(gn(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, groups), wt));
          const [dx, dg, db] = await Promise.all(
            tf
              .grads(loss)([xt, gt, bt])
              .map((t) => t.data()),
          );
          const refLoss = (xs: number[][], g: number[], b: number[]) =>
            groupRef(xs, g, b, groups).reduce((s, row, i) => s + row.reduce((t, v, j) => t + v * w[i][j], 0), 0);
          const chunk = (flat: number[]) =>
            Array.from({ length: rows }, (_, i) => flat.slice(i * cols, (i + 1) * cols));
          assert.ok(
            maxRelError(
              Array.from(dx),
              finiteDifference((f) => refLoss(chunk(f), gain, bias), x.flat()),
            ) < 1e-4,
            'da',
          );
          assert.ok(
            maxRelError(
              Array.from(dg),
              finiteDifference((g) => refLoss(x, g, bias), gain),
            ) < 1e-4,
            'dg',
          );
          assert.ok(
            maxRelError(
              Array.from(db),
              finiteDifference((b) => refLoss(x, gain, b), bias),
            ) < 1e-4,
            'db',
          );
          tf.dispose([xt, gt, bt, wt]);
        });
      }

      it('one group is layer norm over (positions, channels); one group per channel is instance norm', async () => {
        const [rows, positions, channels] = [2, 5, 4];
        const x = tf.tensor2d(randomMatrix(rows, positions * channels, 23));
        const gain = tf.tensor1d([1.5, 0.5, 1, 2]);
        const bias = tf.tensor1d([0.1, -0.2, 0, 0.3]);
        const tiled = (v: tf.Tensor1D) => tf.tile(v, [positions]) as tf.Tensor1D;
        const layer = normalizeScaleShift({ x, gain: tiled(gain), bias: tiled(bias), axis: 1, epsilon: EPS });
        assert.ok(maxRelError(await gn(x, gain, bias, 1).array(), await layer.array()) < 1e-5, 'groups 1 = LN');
        // Instance norm: each channel of each example over its positions, as layer norm of the transposed rows.
        const perChannel = tf.reshape(tf.transpose(tf.reshape(x, [rows, positions, channels]), [0, 2, 1]), [
          rows * channels,
          positions,
        ]) as tf.Tensor2D;
        const ones = tf.ones([positions]) as tf.Tensor1D;
        const zeros = tf.zeros([positions]) as tf.Tensor1D;
        const normalized = normalizeScaleShift({ x: perChannel, gain: ones, bias: zeros, axis: 1, epsilon: EPS });
        const instance = tf.add(
          tf.mul(tf.transpose(tf.reshape(normalized, [rows, channels, positions]), [0, 2, 1]), gain),
          bias,
        );
        const got = await gn(x, gain, bias, channels).array();
        assert.ok(maxRelError(got, (await tf.reshape(instance, [rows, -1]).array()) as number[][]) < 1e-5, 'IN');
      });
    });
  }
}

describe('group norm refuses groups that do not divide the channels', () => {
  it('names the groups and channels', () => {
    const x = tf.zeros([2, 6]) as tf.Tensor2D;
    assert.throws(
      () => gn(x, tf.ones([6]) as tf.Tensor1D, tf.zeros([6]) as tf.Tensor1D, 4),
      /4 groups do not divide 6/,
    );
  });
});
