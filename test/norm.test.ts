// Layer norm and batch norm against the float64 reference of the paper's section 3 (and Ioffe & Szegedy's batch norm): values, gradients, invariances.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { layerNorm, createLayerNorm } from '../src/norm/layer';
import { createBatchNorm } from '../src/norm/batch/batch-norm';
import { normalizeScaleShift } from '../src/norm/normalize';
import { beginPopulationPass, collectingPopulation, collectPopulationStatistics } from '../src/norm/batch/population';
import { disposeModule } from '../src/util/module';
import {
  finiteDifference,
  maxRelError,
  normSettings,
  randomMatrix,
  reshape,
  KERNEL_BACKENDS,
  toRows,
  useBackend,
} from './helpers';
import { normalizeRef, weightedSum } from './reference';
import { disableFastPaths, enableFastPaths } from '../src/backend/fast';
import { NORMALIZE, NORMALIZE_GRAD } from '../src/backend/kernels/normalize';

const ROWS = 5;
const COLS = 7;
const EPS = 1e-5;

/** Analytic gradients (tfjs, float32) vs central differences of the float64 reference, for x, gain and bias. */
async function checkGradients(axis: 0 | 1, seed: number) {
  const x = randomMatrix(ROWS, COLS, seed);
  const gain = randomMatrix(1, COLS, seed + 1, 0.5, 1)[0];
  const bias = randomMatrix(1, COLS, seed + 2)[0];
  const w = randomMatrix(ROWS, COLS, seed + 3); // upstream gradient dy
  const loss = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.sum(
      tf.mul(
        normalizeScaleShift({
          x: xx as tf.Tensor2D,
          gain: g as tf.Tensor1D,
          bias: b as tf.Tensor1D,
          axis,
          epsilon: EPS,
        }),
        tf.tensor2d(w),
      ),
    );
  const [dx, dg, db] = tf.grads(loss)([tf.tensor2d(x), tf.tensor1d(gain), tf.tensor1d(bias)]);
  const refLoss = (xf: number[], g: number[], b: number[]) =>
    weightedSum(normalizeRef(reshape(xf, ROWS, COLS), g, b, axis, EPS), w);
  const fdX = finiteDifference((xf) => refLoss(xf, gain, bias), x.flat());
  const fdG = finiteDifference((g) => refLoss(x.flat(), g, bias), gain);
  const fdB = finiteDifference((b) => refLoss(x.flat(), gain, b), bias);
  assert.ok(
    maxRelError(Array.from(await dx.data()), fdX) < 2e-4,
    `dx: ${maxRelError(Array.from(await dx.data()), fdX)}`,
  );
  assert.ok(
    maxRelError(Array.from(await dg.data()), fdG) < 2e-4,
    `dgain: ${maxRelError(Array.from(await dg.data()), fdG)}`,
  );
  assert.ok(
    maxRelError(Array.from(await db.data()), fdB) < 2e-4,
    `dbias: ${maxRelError(Array.from(await db.data()), fdB)}`,
  );
  // The gradient w.r.t. x must not be trivially zero: the check above would then be vacuous.
  assert.ok(Math.max(...fdX.map(Math.abs)) > 0.1);
}

/** Every test runs on each backend, with the fused kernels (fast) and with composite tfjs ops (plain). */
const MODES = [
  ['fast', enableFastPaths],
  ['plain', disableFastPaths],
] as const;

for (const backend of KERNEL_BACKENDS)
  for (const [mode, setMode] of MODES) {
    const setup = async () => {
      await useBackend(backend);
      setMode();
      // Without the fused kernels registered, the fast mode would test the composite ops a second time.
      for (const name of [NORMALIZE, NORMALIZE_GRAD])
        assert.equal(Boolean(tf.getKernel(name, backend)), mode === 'fast', `${name} registered in ${mode} mode`);
    };

    describe(`layer norm [${backend}, ${mode}]`, () => {
      before(setup);

      it('matches the float64 reference (per example, biased variance, eps inside the sqrt)', async () => {
        const x = randomMatrix(ROWS, COLS, 1, 3, 2);
        const gain = randomMatrix(1, COLS, 2, 0.5, 1)[0];
        const bias = randomMatrix(1, COLS, 3)[0];
        const y = await toRows(layerNorm(tf.tensor2d(x), tf.tensor1d(gain), tf.tensor1d(bias), EPS));
        assert.ok(maxRelError(y, normalizeRef(x, gain, bias, 1, EPS)) < 1e-5);
      });

      it('uses eps inside the square root: a constant row maps to the bias, not NaN', async () => {
        const y = await toRows(
          layerNorm(
            tf.fill([1, 4], 3) as tf.Tensor2D,
            tf.ones([4]) as tf.Tensor1D,
            tf.fill([4], 0.5) as tf.Tensor1D,
            EPS,
          ),
        );
        assert.deepEqual(y, [[0.5, 0.5, 0.5, 0.5]]);
      });

      it('has gradients for input, gain and bias matching finite differences', () => checkGradients(1, 10));

      it('is invariant to re-scaling and re-centering a single example', async () => {
        const x = randomMatrix(ROWS, COLS, 4);
        const moved = x.map((row, i) => row.map((v) => v * (0.5 + i) + 3 * i - 2));
        const ones = tf.ones([COLS]) as tf.Tensor1D;
        const zeros = tf.zeros([COLS]) as tf.Tensor1D;
        const a = await toRows(layerNorm(tf.tensor2d(x), ones, zeros, EPS));
        const b = await toRows(layerNorm(tf.tensor2d(moved), ones, zeros, EPS));
        assert.ok(maxRelError(b, a) < 1e-4);
      });

      it('computes the same thing in training and evaluation, each example on its own', async () => {
        const ln = createLayerNorm({ name: 'ln', units: COLS, settings: normSettings('layer', { epsilon: EPS }) });
        const x = tf.tensor2d(randomMatrix(ROWS, COLS, 5));
        const train = await toRows(ln.apply(x, true));
        assert.deepEqual(await toRows(ln.apply(x, false)), train);
        assert.ok(
          maxRelError(await toRows(ln.apply(tf.slice(x, [2, 0], [1, -1]) as tf.Tensor2D, false)), [train[2]]) < 1e-6,
        );
        disposeModule(ln);
      });
    });

    describe(`batch norm [${backend}, ${mode}]`, () => {
      before(setup);

      it('normalizes each unit over the batch in training (float64 reference)', async () => {
        const bn = createBatchNorm({
          name: 'bn',
          units: COLS,
          settings: normSettings('batch', { epsilon: EPS, bnStats: 'population' }),
        });
        const x = randomMatrix(ROWS, COLS, 6, 2, -1);
        const y = await toRows(bn.apply(tf.tensor2d(x), true));
        assert.ok(maxRelError(y, normalizeRef(x, Array(COLS).fill(1), Array(COLS).fill(0), 0, EPS)) < 1e-5);
        disposeModule(bn);
      });

      it('has gradients for input, gain and bias matching finite differences', () => checkGradients(0, 20));

      it('moves running averages by the momentum in training and uses them in evaluation', async () => {
        const m = 0.9;
        const bn = createBatchNorm({
          name: 'bn',
          units: COLS,
          settings: normSettings('batch', { epsilon: EPS, bnStats: 'running', bnMomentum: m }),
        });
        const x = randomMatrix(ROWS, COLS, 7, 2, 1);
        const trainOut = await toRows(bn.apply(tf.tensor2d(x), true));
        const mean = x[0].map((_, j) => x.reduce((s, r) => s + r[j], 0) / ROWS);
        const unbiased = x[0].map((_, j) => x.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / (ROWS - 1));
        const runMean = mean.map((v) => (1 - m) * v); // started at 0
        const runVar = unbiased.map((v) => m * 1 + (1 - m) * v); // started at 1
        assert.ok(maxRelError(Array.from(await bn.buffers()[0].data()), runMean) < 1e-5);
        assert.ok(maxRelError(Array.from(await bn.buffers()[1].data()), runVar) < 1e-5);
        const evalOut = await toRows(bn.apply(tf.tensor2d(x), false));
        const expected = x.map((r) => r.map((v, j) => (v - runMean[j]) / Math.sqrt(runVar[j] + EPS)));
        assert.ok(maxRelError(evalOut, expected) < 1e-5);
        assert.ok(maxRelError(evalOut, trainOut) > 0.1, 'evaluation must not use batch statistics');
        // Evaluation leaves the running averages alone.
        assert.ok(maxRelError(Array.from(await bn.buffers()[0].data()), runMean) < 1e-6);
        // A batch of one has no variance: it moves nothing.
        tf.dispose(bn.apply(tf.tensor2d([x[0]]), true));
        assert.ok(maxRelError(Array.from(await bn.buffers()[1].data()), runVar) < 1e-6);
        disposeModule(bn);
      });

      it('population statistics: training steps leave them alone; a pass pools its batches (float64 reference)', async () => {
        const bn = createBatchNorm({
          name: 'bn',
          units: COLS,
          settings: normSettings('batch', { epsilon: EPS, bnStats: 'population' }),
        });
        const batches = [
          randomMatrix(5, COLS, 30, 2, 1),
          randomMatrix(3, COLS, 31, 1, -2),
          randomMatrix(1, COLS, 32, 3, 4),
          randomMatrix(6, COLS, 33, 0.5),
        ];
        const read = async () => [Array.from(await bn.buffers()[0].data()), Array.from(await bn.buffers()[1].data())];
        for (const b of batches) tf.dispose(bn.apply(tf.tensor2d(b), true));
        assert.deepEqual(await read(), [Array(COLS).fill(0), Array(COLS).fill(1)], 'no pass yet: initial statistics');

        const pass = beginPopulationPass();
        assert.ok(collectingPopulation());
        for (const b of batches) tf.tidy(() => void bn.apply(tf.tensor2d(b), true));
        assert.deepEqual(await read(), [Array(COLS).fill(0), Array(COLS).fill(1)], 'nothing is written before commit');
        assert.equal(pass.commit(), 1);
        assert.ok(!collectingPopulation());

        // Reference: mean over all 15 examples; variance = sum_b sum_i (x_bi - mean_b)^2 / sum_b (n_b - 1).
        const all = batches.flat();
        const mean = all[0].map((_, j) => all.reduce((acc, r) => acc + r[j], 0) / all.length);
        const squares = (b: number[][], j: number) => {
          const mb = b.reduce((acc, r) => acc + r[j], 0) / b.length;
          return b.reduce((acc, r) => acc + (r[j] - mb) ** 2, 0);
        };
        const variance = mean.map(
          (_, j) =>
            batches.reduce((acc, b) => acc + squares(b, j), 0) / batches.reduce((acc, b) => acc + b.length - 1, 0),
        );
        const [popMean, popVar] = await read();
        assert.ok(maxRelError(popMean, mean) < 1e-5, `mean ${popMean} vs ${mean}`);
        assert.ok(maxRelError(popVar, variance) < 1e-5, `variance ${popVar} vs ${variance}`);
        // Not the variance of all examples pooled together (the batches have different means).
        const total = mean.map((mu, j) => all.reduce((acc, r) => acc + (r[j] - mu) ** 2, 0) / (all.length - 1));
        assert.ok(maxRelError(popVar, total) > 0.1);
        const x = randomMatrix(4, COLS, 34);
        const evalOut = await toRows(bn.apply(tf.tensor2d(x), false));
        assert.ok(
          maxRelError(
            evalOut,
            x.map((r) => r.map((v, j) => (v - mean[j]) / Math.sqrt(variance[j] + EPS))),
          ) < 1e-5,
        );
        disposeModule(bn);
      });

      it('population statistics: a unit that took one value in every example evaluates to its bias, as in training', async () => {
        // Column 0 is the same in every example (a blank MNIST row's W_h h); evaluation sees it off by a rounding
        // difference, which g / sqrt(eps) would turn into 3e-5 * 316 ~ 0.01 without the rule.
        const bias = randomMatrix(1, COLS, 50)[0];
        const constant = 0.7310586;
        const batches = [randomMatrix(5, COLS, 51), randomMatrix(4, COLS, 52)].map((b) =>
          b.map((row) => [constant, ...row.slice(1)]),
        );
        for (const statistics of ['population', 'running'] as const) {
          const bn = createBatchNorm({
            name: 'bn',
            units: COLS,
            settings: normSettings('batch', { epsilon: EPS, bnStats: statistics }),
          });
          bn.parameters()[1].assign(tf.tensor1d(bias));
          const train = () => batches.forEach((b) => tf.dispose(bn.apply(tf.tensor2d(b), true)));
          if (statistics === 'population') collectPopulationStatistics(train);
          else train();
          const x = randomMatrix(3, COLS, 53).map((row) => [constant * (1 + 3e-5), ...row.slice(1)]);
          const y = await toRows(bn.apply(tf.tensor2d(x), false));
          const [mean, variance] = [Array.from(await bn.buffers()[0].data()), Array.from(await bn.buffers()[1].data())];
          const plain = x.map((row) => row.map((v, j) => (v - mean[j]) / Math.sqrt(variance[j] + EPS) + bias[j]));
          if (statistics === 'population') {
            assert.ok(
              variance[0] <= (1e-6 * mean[0]) ** 2,
              `the constant unit's variance ${variance[0]} is at most rounding`,
            );
            assert.deepEqual(
              y.map((row) => row[0]),
              [bias[0], bias[0], bias[0]].map(Math.fround),
              'the constant unit gives its bias',
            );
            assert.ok(Math.abs(plain[0][0] - bias[0]) > 1e-3, 'the plain formula would not');
            assert.ok(
              maxRelError(
                y.map((row) => row.slice(1)),
                plain.map((row) => row.slice(1)),
              ) < 1e-5,
              'other units as usual',
            );
          } else {
            assert.ok(maxRelError(y, plain) < 1e-5, 'running averages: the plain formula');
          }
          disposeModule(bn);
        }
      });

      it('population statistics: an ended pass writes nothing; a norm that saw only batches of one evaluates to its bias', async () => {
        const bn = createBatchNorm({
          name: 'bn',
          units: COLS,
          settings: normSettings('batch', { epsilon: EPS, bnStats: 'population' }),
        });
        const read = async () => [Array.from(await bn.buffers()[0].data()), Array.from(await bn.buffers()[1].data())];
        const interrupted = beginPopulationPass();
        tf.tidy(() => void bn.apply(tf.tensor2d(randomMatrix(4, COLS, 40)), true));
        interrupted.end();
        assert.ok(!collectingPopulation());
        assert.deepEqual(await read(), [Array(COLS).fill(0), Array(COLS).fill(1)]);
        assert.throws(
          () =>
            collectPopulationStatistics(() => {
              tf.tidy(() => void bn.apply(tf.tensor2d(randomMatrix(4, COLS, 40)), true));
              throw new Error('failed mid-pass');
            }),
          /failed mid-pass/,
        );
        assert.ok(!collectingPopulation(), 'a pass that throws ends');
        assert.deepEqual(await read(), [Array(COLS).fill(0), Array(COLS).fill(1)]);
        // Training mode maps a batch of one to the bias (variance 0): so does evaluation afterwards.
        const singles = [randomMatrix(1, COLS, 41), randomMatrix(1, COLS, 42)];
        const trained = await toRows(bn.apply(tf.tensor2d(singles[0]), true));
        assert.deepEqual(trained, [Array(COLS).fill(0)]);
        collectPopulationStatistics(() => singles.forEach((b) => tf.tidy(() => void bn.apply(tf.tensor2d(b), true))));
        const [mean, variance] = await read();
        assert.ok(
          maxRelError(
            mean,
            singles[0][0].map((v, j) => (v + singles[1][0][j]) / 2),
          ) < 1e-5,
        );
        assert.deepEqual(variance, Array(COLS).fill(0));
        assert.deepEqual(await toRows(bn.apply(tf.tensor2d(singles[1]), false)), [Array(COLS).fill(0)]);
        disposeModule(bn);
      });
    });
  }

after(() => {
  tf.disposeVariables();
  disableFastPaths();
});
