// Weight normalization (model.norm weight, src/norm/weight): w = g * v / ||v|| per output unit and its gradient (eq. 3
// of Salimans & Kingma 2016) against a float64 reference and finite differences; its invariance to re-scaling v; g's
// initialization (the initial model is the unnormalized one); the MLP, the convnet and the recurrent classifier
// (LSTM, GRU) train with it on cpu and wasm without leaking tensors; the fused cells with it match the op-by-op ones
// and a float64 reference.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths, setFusedCells } from '../src/backend/fast';
import { runConfigSchema, type RunConfig } from '../src/config/schema';
import { rngFor } from '../src/data/rng';
import { createCell } from '../src/models/cells/registry';
import type { Cell } from '../src/models/cells/types';
import { runSequence } from '../src/models/cells/unroll';
import { rnn, rnnSchema } from '../src/models/rnn/spec';
import { buildModel, estimateModel } from '../src/models/registry';
import type { Classifier } from '../src/models/types';
import { createWeightNorm, weightNormalize } from '../src/norm/weight';
import { disposeModule, parameterCount } from '../src/util/module';
import { refLoss, type M, type P } from './cell-reference';
import {
  finiteDifference,
  loadData,
  maxRelError,
  normSettings,
  randomMatrix,
  TEST_BACKENDS,
  trainOn,
  useBackend,
} from './helpers';

/** Each column's Euclidean norm. */
const columnNorms = (v: M): number[] => v[0].map((_, j) => Math.sqrt(v.reduce((s, r) => s + r[j] ** 2, 0)));

/** w = g * v / ||v|| per column, in float64. */
function wnRef(v: M, g: number[]): M {
  const n = columnNorms(v);
  return v.map((r) => r.map((x, j) => (g[j] * x) / n[j]));
}

/** The gradients of sum(R * w) by eq. 3, in float64: dg = (R . v) / ||v||, dv = g / ||v|| (R - dg v / ||v||). */
function wnGradRef(v: M, g: number[], R: M): { dv: M; dg: number[] } {
  const n = columnNorms(v);
  const dg = g.map((_, j) => v.reduce((s, r, i) => s + R[i][j] * r[j], 0) / n[j]);
  const dv = v.map((r, i) => r.map((x, j) => (g[j] / n[j]) * (R[i][j] - (dg[j] * x) / n[j])));
  return { dv, dg };
}

const sumProduct = (a: M, b: M) => a.reduce((s, r, i) => s + r.reduce((t, x, j) => t + x * b[i][j], 0), 0);
const reshape = (flat: number[], cols: number): M =>
  Array.from({ length: flat.length / cols }, (_, r) => flat.slice(r * cols, (r + 1) * cols));

/** The largest difference over the largest reference magnitude. */
function scaledError(got: number[], ref: number[]): number {
  const scale = Math.max(1e-3, ...ref.map(Math.abs));
  return Math.max(...got.map((g, i) => Math.abs(g - ref[i]))) / scale;
}

/** The float64 cell parameters of weight norm's (v as `W_x`, g as `W_x/g`, ...) as the plain cell's weights. */
function effective(p: P): P {
  const out: P = {};
  for (const [k, value] of Object.entries(p)) {
    if (k.endsWith('/g')) continue;
    const g = p[`${k}/g`] as number[] | undefined;
    out[k] = g ? wnRef(value as M, g) : value;
  }
  return out;
}

function tinyRun(model: Record<string, unknown>, view: string, norm = 'weight'): RunConfig {
  return runConfigSchema.parse({
    name: 'tiny-wn',
    data: { train: 64, test: 24, seed: 1, view },
    model: { ...model, norm },
    train: { batchSize: 8, epochs: 3, learningRate: 1e-2, seed: 3 },
  });
}

const MODELS: [string, Record<string, unknown>, string][] = [
  ['mlp', { kind: 'mlp', hidden: [12, 10] }, 'flat'],
  ['conv', { kind: 'conv', channels: [2, 3], kernelSize: 3 }, 'image'],
  ['rnn (LSTM)', { kind: 'rnn', cell: 'lstm', hidden: 8 }, 'rows'],
  ['rnn (GRU)', { kind: 'rnn', cell: 'gru', hidden: 8 }, 'rows'],
];

const SHAPES = { flat: [784], image: [28, 28, 1], rows: [28, 28] } as Record<string, number[]>;

for (const backend of TEST_BACKENDS) {
  describe(`weight norm [${backend}]`, () => {
    /** The largest errors against float64 seen on this backend, printed at its end. */
    const worst = { value: 0, vGradient: 0, gGradient: 0, cells: 0 };
    before(async () => {
      await useBackend(backend);
      enableFastPaths();
    });
    after(() => {
      setFusedCells(true);
      disableFastPaths();
      console.log(`weight norm [${backend}], largest errors against float64: ${JSON.stringify(worst)}`);
    });

    for (const shape of [
      [7, 5],
      [3, 3, 2, 4],
    ]) {
      it(`w = g v / ||v|| [${shape}] and the gradients of v and g match float64 and finite differences`, async () => {
        const units = shape[shape.length - 1];
        const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
        const v = randomMatrix(rows, units, 1);
        const g = randomMatrix(1, units, 2, 1, 0.5)[0];
        const R = randomMatrix(rows, units, 3);
        const V = tf.tensor(v.flat(), shape);
        const G = tf.tensor1d(g);
        const w = weightNormalize(V, G);
        const value = maxRelError(reshape(Array.from(await w.data()), units), wnRef(v, g));
        assert.ok(value < 1e-6, `value: ${value}`);
        const loss = (a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(weightNormalize(a, b as tf.Tensor1D), tf.tensor(R.flat(), shape)));
        const [dV, dG] = tf.grads(loss)([V, G]);
        const ref = wnGradRef(v, g, R);
        const fdV = finiteDifference((q) => sumProduct(wnRef(reshape(q, units), g), R), v.flat());
        const fdG = finiteDifference((q) => sumProduct(wnRef(v, q), R), g);
        assert.ok(scaledError(ref.dv.flat(), fdV) < 1e-7, 'the float64 eq. 3 against finite differences');
        assert.ok(scaledError(ref.dg, fdG) < 1e-7, 'the float64 eq. 3 against finite differences');
        const [ev, eg] = [
          scaledError(Array.from(await dV.data()), ref.dv.flat()),
          scaledError(Array.from(await dG.data()), ref.dg),
        ];
        assert.ok(ev < 1e-5 && eg < 1e-5, `gradient of v ${ev}, of g ${eg}`);
        assert.ok(scaledError(Array.from(await dV.data()), fdV) < 1e-5, 'v against finite differences');
        assert.ok(scaledError(Array.from(await dG.data()), fdG) < 1e-5, 'g against finite differences');
        Object.assign(worst, {
          value: Math.max(worst.value, value),
          vGradient: Math.max(worst.vGradient, ev),
          gGradient: Math.max(worst.gGradient, eg),
        });
        tf.dispose([V, G, w, dV, dG]);
      });
    }

    it("is invariant to re-scaling v (the whole of it, or each unit's weights), and v's gradient is orthogonal to v", async () => {
      const v = randomMatrix(6, 4, 5);
      const g = [0.5, 1.5, -2, 3];
      const base = await weightNormalize(tf.tensor2d(v), tf.tensor1d(g)).array();
      const scales = [0.3, 2, 7, 41];
      const whole = await weightNormalize(tf.tensor2d(v.map((r) => r.map((x) => 3.7 * x))), tf.tensor1d(g)).array();
      const each = await weightNormalize(
        tf.tensor2d(v.map((r) => r.map((x, j) => scales[j] * x))),
        tf.tensor1d(g),
      ).array();
      assert.ok(maxRelError(whole, base) < 1e-6, 'weight matrix re-scaling');
      assert.ok(maxRelError(each, base) < 1e-6, 'weight vector re-scaling');
      const [dV] = tf.grads((a: tf.Tensor) =>
        tf.sum(tf.mul(weightNormalize(a, tf.tensor1d(g)), tf.tensor2d(randomMatrix(6, 4, 6)))),
      )([tf.tensor2d(v)]);
      const dv = (await dV.array()) as M;
      for (let j = 0; j < 4; j++) {
        const dot = v.reduce((s, r, i) => s + r[j] * dv[i][j], 0);
        assert.ok(Math.abs(dot) < 1e-5, `unit ${j}: v . dv = ${dot}`);
      }
    });

    it('starts at g = gainInit * ||v|| per unit: the initial weight is gainInit times the init', async () => {
      const values = Float32Array.from(randomMatrix(5, 3, 7).flat());
      const w = createWeightNorm<tf.Rank.R2>({
        name: 'wn-init',
        shape: [5, 3],
        values,
        settings: normSettings('weight', { gainInit: 2 }),
      });
      const got = Array.from(await tf.tidy(() => w.value()).data());
      assert.ok(
        got.every((x, i) => Math.abs(x - 2 * values[i]) < 1e-6),
        `${got} vs 2 * ${Array.from(values)}`,
      );
      assert.deepEqual(
        w.parameters().map((p) => p.name.replace(/_\d+$/, '')),
        ['wn-init', 'wn-init/g'],
      );
      disposeModule(w);
    });

    it('the MLP normalizes each hidden kernel (a gain per unit, its bias kept), never the softmax layer', () => {
      const config = tinyRun({ kind: 'mlp', hidden: [12, 10] }, 'flat');
      const m = buildModel({ config: config.model, data: { shape: [784], classes: 10 }, seed: 1 });
      assert.deepEqual(
        m.parameters().map((v) => `${v.name.replace(/_\d+$/, '')}:${v.shape}`),
        [
          'hidden1/kernel:784,12',
          'hidden1/kernel/g:12',
          'hidden1/bias:12',
          'hidden2/kernel:12,10',
          'hidden2/kernel/g:10',
          'hidden2/bias:10',
          'output/kernel:10,10',
          'output/bias:10',
        ],
      );
      disposeModule(m);
    });

    for (const [label, model, view] of MODELS) {
      it(`${label}: starts as the unnormalized model of the same seed, with the parameters its estimate counts`, async () => {
        const data = { shape: SHAPES[view], classes: 10 };
        const config = tinyRun(model, view);
        const weight = buildModel<Classifier>({ config: config.model, data, seed: 5 });
        const plain = buildModel<Classifier>({ config: tinyRun(model, view, 'none').model, data, seed: 5 });
        assert.equal(parameterCount(weight), estimateModel(config.model, data).parameters);
        const x = tf.tensor2d(randomMatrix(4, 784, 8, 0.5, 0.5));
        const [a, b] = await Promise.all([weight, plain].map((m) => tf.tidy(() => m.logits(x, false)).array()));
        assert.ok(maxRelError(a, b) < 1e-5, `initial logits ${maxRelError(a, b)} apart`);
        tf.dispose(x);
        disposeModule(weight);
        disposeModule(plain);
      });

      it(`${label}: trains with a finite, falling loss and leaks no tensors across epochs`, async () => {
        const config = tinyRun(model, view);
        const data = loadData(config);
        const before = tf.memory().numTensors;
        const perEpoch: number[] = [];
        const r = await trainOn({ config, data, onEpoch: () => perEpoch.push(tf.memory().numTensors) });
        assert.equal(r.status, 'complete');
        const nll = r.rows.map((row) => row.train_nll!);
        assert.ok(nll.every(Number.isFinite) && nll[2] < nll[0], `training NLL should fall: ${nll}`);
        assert.deepEqual(perEpoch, [perEpoch[0], perEpoch[0], perEpoch[0]], `tensor count per epoch: ${perEpoch}`);
        assert.equal(tf.memory().numTensors, before, 'everything is disposed after the run');
      });
    }

    for (const kind of ['lstm', 'gru'] as const) {
      for (const how of ['sequence', 'steps'] as const) {
        it(`${kind.toUpperCase()} with weight norm, ${how === 'sequence' ? 'a whole sequence' : 'step by step'}: the fused cell matches the op-by-op one and float64`, async () => {
          const [B, D, H, T] = [5, 3, 8, 4];
          const config = rnn.resolve(
            rnnSchema.parse({ kind: 'rnn', cell: kind, hidden: H, norm: 'weight', gainInit: 0.7 }),
          );
          const cell = createCell({ config, inputs: D, rng: rngFor(11, 'test'), name: `wn-${kind}-${how}`, seed: 4 });
          const gains = kind === 'lstm' ? ['W_x/g', 'W_h/g'] : ['W_x/g', 'W_h/g', 'W/g', 'U/g'];
          assert.ok(
            gains.every((k) => k in cell.params),
            `${Object.keys(cell.params)}`,
          );
          const p: P = { h0: Array.from(cell.h0) };
          for (const [k, v] of Object.entries(cell.params)) p[k] = (await v.array()) as number[] | M;
          const xs = Array.from({ length: T }, (_, t) => randomMatrix(B, D, 30 + t));
          const w = randomMatrix(B, H, 40);
          const before = tf.memory().numTensors;
          const fused = await lossAndGradients(cell, { xs, w, T, B, D }, true, how);
          const opByOp = await lossAndGradients(cell, { xs, w, T, B, D }, false, how);
          assert.equal(tf.memory().numTensors, before, 'tensors left behind');
          const kernel = `LnRepro${kind === 'lstm' ? 'Lstm' : 'Gru'}Forward`;
          assert.ok(
            fused.kernels.some((k) => k.startsWith(kernel)),
            'the fused path is taken',
          );
          assert.ok(!opByOp.kernels.some((k) => k.startsWith(kernel)), 'the op-by-op path is taken');
          const loss = (q: P) => refLoss(kind, 'none', effective(q), xs, w);
          const refValue = loss(p);
          assert.ok(
            Math.abs(fused.loss - refValue) <= 1e-5 * Math.max(1, Math.abs(refValue)),
            `${fused.loss} vs ${refValue}`,
          );
          for (const [name, g] of Object.entries(fused.grads)) {
            const value = p[name];
            const rows = Array.isArray(value[0]) ? (value as M).length : 0;
            const fd = finiteDifference(
              (q) => loss({ ...p, [name]: rows ? reshape(q, q.length / rows) : q }),
              value.flat() as number[],
            );
            const err = scaledError(g, fd);
            worst.cells = Math.max(worst.cells, err);
            assert.ok(err <= 1e-4, `${name}: ${err} against float64`);
            assert.ok(scaledError(g, opByOp.grads[name]) <= 1e-5, `${name}: against the op-by-op cell`);
          }
          disposeModule(cell);
        });
      }
    }
  });
}

/** sum(w * h_T) of `cell` over xs and every parameter's gradient, fused cells on or off, and the kernels it ran. */
async function lossAndGradients(
  cell: Cell,
  { xs, w, T, B, D }: { xs: M[]; w: M; T: number; B: number; D: number },
  fused: boolean,
  how: 'sequence' | 'steps',
) {
  setFusedCells(fused);
  const loss = () =>
    tf.tidy(() => {
      let h: tf.Tensor2D;
      if (how === 'sequence') h = runSequence(cell, tf.tensor2d(xs.flat(), [T * B, D]), T, B, true).h;
      else {
        let s = cell.initial(B);
        xs.forEach((x, t) => (s = cell.step(tf.tensor2d(x), s, t, true)));
        h = s.h;
      }
      return tf.sum(tf.mul(h, tf.tensor2d(w))) as tf.Scalar;
    });
  const profile = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(loss, Object.values(cell.params));
    tf.dispose([value, ...Object.values(grads)]);
  });
  const { value, grads } = tf.variableGrads(loss, Object.values(cell.params));
  const out = {
    loss: (await value.data())[0],
    grads: {} as Record<string, number[]>,
    kernels: profile.kernels.map((k) => k.name),
  };
  for (const [k, v] of Object.entries(cell.params)) out.grads[k] = Array.from(await grads[v.name].data());
  tf.dispose([value, ...Object.values(grads)]);
  setFusedCells(true);
  return out;
}
