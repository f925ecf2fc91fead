// RMSNorm and group norm on the WebGPU backend (this machine's software adapter, Mesa llvmpipe through Dawn's OpenGL
// ES backend): the WGSL kernels (src/backend/kernels/webgpu/normalize.ts with center false, webgpu/group-normalize.ts)
// against float64 references written here and their finite differences, forward values and the gradients of a, g
// and b; and tiny mlp and conv trainings with norm rms and norm group, whose metrics match the cpu backend's.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend/select';
import { enableFastPaths } from '../src/backend/fast';
import { GROUP_NORMALIZE, GROUP_NORMALIZE_GRAD } from '../src/backend/kernels/group-normalize';
import { NORMALIZE, NORMALIZE_GRAD } from '../src/backend/kernels/normalize';
import { groupNormalize } from '../src/norm/group-normalize';
import { normalizeScaleShift } from '../src/norm/normalize';
import { assertTrainsAsOnCpu, finiteDifference, maxRelError, onKernel, randomMatrix, reshape } from './helpers';

const EPS = 1e-5;

// Tolerances: the cpu kernels' tests use 1e-5 (values) and 1e-4 (gradients), their sums in float64. The WGSL kernels
// sum in float32 (WGSL has none wider), but at these sizes (at most 1,280 values a sum, |values| about 1) the
// errors seen stay below 5e-7 (values) and 2e-6 (gradients; the test prints them): the cpu tolerances hold as they are.
const VALUE_TOL = 1e-5;
const GRAD_TOL = 1e-4;

/** y = g * a / sqrt(mean(a^2) + eps) + b per row, in float64. */
function rmsRef(x: number[][], gain: number[], bias: number[]): number[][] {
  return x.map((row) => {
    const rms = Math.sqrt(row.reduce((s, v) => s + v * v, 0) / row.length + EPS);
    return row.map((v, j) => (gain[j] * v) / rms + bias[j]);
  });
}

/** Group norm in float64: rows [P * C], channel fastest; per row and group of C / groups channels, over positions. */
function groupRef(x: number[][], gain: number[], bias: number[], groups: number): number[][] {
  const C = gain.length;
  const size = C / groups;
  const groupOf = (i: number) => Math.floor((i % C) / size);
  return x.map((row) => {
    const stats = Array.from({ length: groups }, (_, k) => {
      const vals = row.filter((_, i) => groupOf(i) === k);
      const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
      const variance = vals.reduce((s, v) => s + (v - mean) ** 2, 0) / vals.length;
      return { mean, rstd: 1 / Math.sqrt(variance + EPS) };
    });
    return row.map((v, i) => {
      const { mean, rstd } = stats[groupOf(i)];
      return (v - mean) * rstd * gain[i % C] + bias[i % C];
    });
  });
}

type Op = (x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D) => tf.Tensor2D;
type Ref = (x: number[][], gain: number[], bias: number[]) => number[][];

interface Errors {
  values: number;
  dx: number;
  dgain: number;
  dbias: number;
}

/**
 * The op on webgpu against the reference at x [rows, cols] with gain and bias [channels]: forward values, and the
 * gradients of sum(y * w) (w random) against the reference's finite differences. Checks that `kernels` ran.
 */
async function compare(op: Op, ref: Ref, rows: number, cols: number, channels: number, kernels: string[]) {
  const x = randomMatrix(rows, cols, 21, 1, 0.5); // a mean away from 0
  const gain = Array.from({ length: channels }, (_, j) => 1 + 0.1 * Math.sin(j));
  const bias = Array.from({ length: channels }, (_, j) => 0.05 * Math.cos(j));
  const w = randomMatrix(rows, cols, 22);
  const [xt, gt, bt, wt] = [tf.tensor2d(x), tf.tensor1d(gain), tf.tensor1d(bias), tf.tensor2d(w)];
  const ran = new Set<string>();
  const stop = onKernel((name) => ran.add(name));
  const yt = op(xt, gt, bt);
  const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(op(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D), wt));
  const gradTensors = tf.grads(loss)([xt, gt, bt]);
  stop();
  for (const name of kernels) assert.ok(ran.has(name), `the WGSL ${name} ran`);
  const y = (await yt.array()) as number[][];
  const [dx, dg, db] = await Promise.all(gradTensors.map(async (t) => Array.from(await t.data())));
  tf.dispose([xt, gt, bt, wt, yt, ...gradTensors]);
  const refLoss = (xs: number[][], g: number[], b: number[]) =>
    ref(xs, g, b).reduce((s, row, i) => s + row.reduce((t, v, j) => t + v * w[i][j], 0), 0);
  return {
    values: maxRelError(y, ref(x, gain, bias)),
    dx: maxRelError(
      dx,
      finiteDifference((f) => refLoss(reshape(f, rows, cols), gain, bias), x.flat()),
    ),
    dgain: maxRelError(
      dg,
      finiteDifference((g) => refLoss(x, g, bias), gain),
    ),
    dbias: maxRelError(
      db,
      finiteDifference((b) => refLoss(x, gain, b), bias),
    ),
  } satisfies Errors;
}

function assertWithin(errors: Errors, diagnostic: (message: string) => void) {
  diagnostic(`max errors vs float64: ${JSON.stringify(errors)}`);
  assert.ok(errors.values < VALUE_TOL, `values: ${errors.values}`);
  for (const k of ['dx', 'dgain', 'dbias'] as const) assert.ok(errors[k] < GRAD_TOL, `${k}: ${errors[k]}`);
}

describe('RMSNorm and group norm on webgpu (software adapter)', () => {
  before(async () => {
    const choice = await selectBackend('webgpu');
    assert.equal(choice.name, 'webgpu');
    enableFastPaths(); // as `ln-repro run` does
  });

  for (const [rows, cols] of [
    [3, 7],
    [2, 300],
  ] as const) {
    it(`RMSNorm [${rows},${cols}]: the WGSL kernels' values and gradients match float64 and finite differences`, async (t) => {
      for (const name of [NORMALIZE, NORMALIZE_GRAD]) assert.ok(tf.getKernel(name, 'webgpu'), `${name} on webgpu`);
      const rms: Op = (x, gain, bias) => normalizeScaleShift({ x, gain, bias, axis: 1, epsilon: EPS, center: false });
      const errors = await compare(rms, rmsRef, rows, cols, cols, [NORMALIZE, NORMALIZE_GRAD]);
      assertWithin(errors, (m) => t.diagnostic(m));
    });
  }

  it('RMSNorm: the WGSL kernels refuse batch statistics (center false with axis 0), as the cpu kernel does', () => {
    const [x, gain, bias] = [tf.zeros([2, 3]), tf.ones([3]), tf.zeros([3])];
    assert.throws(() => tf.engine().runKernel(NORMALIZE, { x, gain, bias }, { axis: 0, epsilon: EPS, center: false }), {
      message: new RegExp(`${NORMALIZE}: center false takes axis 1 only`),
    });
    tf.dispose([x, gain, bias]);
  });

  // [rows, positions, channels, groups]; the last: a group of 640 values (more than a workgroup's 256 threads), 128
  // positions a channel for dgain and dbias (more than a tile's 16 lanes), 20 channels (two tiles, the second
  // part-filled).
  const GROUP_CASES = [
    ...[1, 4].flatMap((positions) => [1, 2, 6].map((groups) => [3, positions, 6, groups])),
    [2, 64, 20, 2],
  ];
  for (const [rows, positions, channels, groups] of GROUP_CASES) {
    it(`group norm, ${rows} rows x ${positions} positions x ${channels} channels, ${groups} groups: values and gradients match float64`, async (t) => {
      for (const name of [GROUP_NORMALIZE, GROUP_NORMALIZE_GRAD])
        assert.ok(tf.getKernel(name, 'webgpu'), `${name} on webgpu`);
      const op: Op = (x, gain, bias) => groupNormalize({ x, gain, bias, groups, epsilon: EPS });
      const ref: Ref = (x, gain, bias) => groupRef(x, gain, bias, groups);
      const kernels = [GROUP_NORMALIZE, GROUP_NORMALIZE_GRAD];
      const errors = await compare(op, ref, rows, positions * channels, channels, kernels);
      assertWithin(errors, (m) => t.diagnostic(m));
    });
  }

  const VIEW: Record<string, string> = { mlp: 'flat', conv: 'image' };
  for (const model of [
    { kind: 'mlp', hidden: [16, 12], norm: 'rms' },
    { kind: 'mlp', hidden: [16, 12], norm: 'group', groups: 2 },
    { kind: 'conv', channels: [2, 4], kernelSize: 3, norm: 'rms' },
    { kind: 'conv', channels: [2, 4], kernelSize: 3, norm: 'group', groups: 2 },
  ]) {
    it(`${model.kind} ${model.norm}: trains with the WGSL kernels and evaluates as on the cpu backend`, () =>
      assertTrainsAsOnCpu(
        model,
        VIEW[model.kind],
        model.norm === 'rms' ? [NORMALIZE, NORMALIZE_GRAD] : [GROUP_NORMALIZE, GROUP_NORMALIZE_GRAD],
      ));
  }
});
