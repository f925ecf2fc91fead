// The handwriting experiment (paper section 6.5, Graves 2013 section 4): padded step-major batches by hand; the
// network's loss and every parameter's gradient against a float64 reference of Graves' equations (LSTM layers with
// skip connections, the mixture density of the next point) and its finite differences, fused and op by op; the
// config's data keys and messages; a tiny model on the real stroke data that trains, samples deterministically from
// its seeds and leaks nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths } from '../src/backend/fast';
import { runConfigSchema } from '../src/config/schema';
import type { Dataset, SequenceSet } from '../src/data/types';
import { buildHandwriting, type HandwritingModel } from '../src/models/handwriting';
import { handwritingSchema, handwriting as spec, type HandwritingConfig } from '../src/models/handwriting/spec';
import { strokeBatch } from '../src/tasks/handwriting/batch';
import { batchNll, SAMPLES } from '../src/tasks/handwriting';
import { createTask } from '../src/tasks/registry';
import { disposeModule } from '../src/util/module';
import { lstmRef, type M, type P } from './cell-reference';
import { nllRef } from './mdn-reference';
import { finiteDifference, loadData, maxRelError, TEST_BACKENDS, trainOn, useBackend } from './helpers';

/** Two sequences of 3-vectors (dx, dy, pen-up), 4 and 2 points: the second is padded. */
const SET: SequenceSet = {
  width: 3,
  count: 2,
  offsets: Int32Array.from([0, 4, 6]),
  values: Float32Array.from([0.5, -1, 0, 0.3, 0.2, 1, -0.7, 0.4, 0, 0.1, 0.9, 1, 1.2, -0.3, 0, -0.4, 0.6, 1]),
};

describe('stroke batches', () => {
  it('pads to the longest, step-major, inputs the point before (zeros first), targets the real points only', () => {
    const b = strokeBatch(SET, [1, 0]); // sequence 1 (2 points) first
    assert.equal(b.steps, 4);
    assert.equal(b.points, 4 + 2);
    // Step-major rows t * 2 + b: both sequences at t = 0, 1; sequence 0 alone (batch column 1) at t = 2, 3.
    assert.deepEqual(Array.from(b.rows), [0, 1, 2, 3, 5, 7]);
    const input = (t: number, i: number) => Array.from(b.inputs.subarray((t * 2 + i) * 3, (t * 2 + i + 1) * 3));
    const target = (k: number) => Array.from(b.targets.subarray(k * 3, (k + 1) * 3));
    const point = (seq: number, k: number) =>
      Array.from(SET.values.subarray((SET.offsets[seq] + k) * 3, (SET.offsets[seq] + k + 1) * 3));
    assert.deepEqual(input(0, 0), [0, 0, 0]);
    assert.deepEqual(input(0, 1), [0, 0, 0]);
    assert.deepEqual(input(1, 0), point(1, 0));
    assert.deepEqual(input(2, 0), [0, 0, 0], 'padding');
    for (let t = 1; t < 4; t++) assert.deepEqual(input(t, 1), point(0, t - 1));
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(target), [
      point(1, 0),
      point(0, 0),
      point(1, 1),
      point(0, 1),
      point(0, 2),
      point(0, 3),
    ]);
  });
});

const TINY = { kind: 'handwriting', hidden: [4, 3], mixtures: 2, h0Scale: 0.3 };

function tinyModel(norm: string): HandwritingModel {
  const config = spec.resolve(handwritingSchema.parse({ ...TINY, norm }));
  return buildHandwriting({ config, seed: 3 });
}

/** The model's parameters as float64 arrays, by role, with each layer's h0. */
async function paramsOf(model: HandwritingModel): Promise<Record<string, number[] | M>> {
  const out: Record<string, number[] | M> = {};
  for (const [k, v] of Object.entries(model.params)) out[k] = (await v.array()) as number[] | M;
  model.cells.forEach((c, n) => (out[`lstm${n}/h0`] = Array.from(c.h0)));
  return out;
}

const layerParams = (p: Record<string, number[] | M>, n: number): P =>
  Object.fromEntries(
    Object.entries(p)
      .filter(([k]) => k.startsWith(`lstm${n}/`))
      .map(([k, v]) => [k.slice(`lstm${n}/`.length), v]),
  );

/**
 * Graves' network in float64 on SET's sequences: layer n reads [x_t, h^(n-1)_t], y_t = [h^1_t .. h^N_t] W + b,
 * the loss is the points' summed NLL over the number of sequences. Each sequence alone (no padding at all).
 */
function refLoss(p: Record<string, number[] | M>, norm: string, layers: number, mixtures: number): number {
  let total = 0;
  for (let s = 0; s < SET.count; s++) {
    const points: number[][] = [];
    for (let k = SET.offsets[s]; k < SET.offsets[s + 1]; k++)
      points.push(Array.from(SET.values.subarray(k * 3, k * 3 + 3)));
    const states = Array.from({ length: layers }, (_, n) => {
      const h0 = p[`lstm${n}/h0`] as number[];
      return { h: [[...h0]], c: [h0.map(() => 0)] };
    });
    points.forEach((target, t) => {
      const x = t === 0 ? [0, 0, 0] : points[t - 1];
      for (let n = 0; n < layers; n++) {
        const input = n === 0 ? [x] : [[...x, ...states[n - 1].h[0]]];
        states[n] = lstmRef(layerParams(p, n), norm, input, states[n]);
      }
      const hs = states.flatMap((st) => st.h[0]);
      const kernel = p['output/kernel'] as M;
      const y = (p['output/bias'] as number[]).map((b, j) => b + hs.reduce((a, h, i) => a + h * kernel[i][j], 0));
      total += nllRef(y, target, mixtures);
    });
  }
  return total / SET.count;
}

/** The model's loss on SET as the task computes it (src/tasks/handwriting: the real points' NLL over the sequences). */
const modelLoss = (model: HandwritingModel, mixtures: number): tf.Scalar =>
  tf.div(batchNll(model, mixtures, SET, [0, 1], true).sum, 2);

/** max |got - want| over max |want|: a gradient's error relative to its tensor's scale. */
function scaledError(got: number[], want: number[]): number {
  const scale = Math.max(...want.map(Math.abs));
  return Math.max(...got.map((g, i) => Math.abs(g - want[i]))) / scale;
}

for (const backend of TEST_BACKENDS) {
  for (const fused of [true, false]) {
    describe(`the handwriting network on ${backend}, ${fused ? 'fused cells' : 'op by op'}`, () => {
      before(async () => {
        await useBackend(backend);
        if (fused) enableFastPaths();
        else disableFastPaths();
      });
      after(() => enableFastPaths());

      for (const norm of ['none', 'layer']) {
        it(`norm ${norm}: loss and every parameter's gradient match the float64 reference and its finite differences`, async () => {
          const model = tinyModel(norm);
          assert.equal(model.cells[0].fused(true) !== undefined, fused, 'the path under test');
          const p = await paramsOf(model);
          const layers = 2;
          const { value, grads } = tf.variableGrads(() => modelLoss(model, TINY.mixtures), model.parameters());
          const want = refLoss(p, norm, layers, TINY.mixtures);
          assert.ok(
            Math.abs(value.dataSync()[0] - want) <= 1e-4 * Math.max(1, Math.abs(want)),
            `${value.dataSync()[0]} vs ${want}`,
          );
          for (const [role, variable] of Object.entries(model.params)) {
            const got = Array.from(await grads[variable.name].data());
            const flat = (p[role] as unknown[]).flat() as number[];
            const fd = finiteDifference((x) => {
              const shaped = Array.isArray((p[role] as unknown[])[0])
                ? Array.from({ length: (p[role] as M).length }, (_, r) =>
                    x.slice(r * (p[role] as M)[0].length, (r + 1) * (p[role] as M)[0].length),
                  )
                : x;
              return refLoss({ ...p, [role]: shaped }, norm, layers, TINY.mixtures);
            }, flat);
            assert.ok(scaledError(got, fd) < 1e-4, `${role}: ${scaledError(got, fd)}`);
          }
          tf.dispose([value, ...Object.values(grads)]);
          disposeModule(model);
        });

        it(`norm ${norm}: evaluation and generation step by step give the training pass's outputs`, async () => {
          const model = tinyModel(norm);
          const b = strokeBatch(SET, [0, 1]);
          const xs = tf.tensor2d(b.inputs, [b.steps * 2, 3]);
          // Under a gradient tape (the training path: the fused ops' recording branch), forward only, and one step at
          // a time as sampling runs it.
          let recorded: tf.Tensor2D | undefined;
          const { value, grads } = tf.variableGrads(() => {
            recorded = tf.keep(model.outputs(xs, b.steps, 2, true));
            return tf.sum(recorded);
          }, model.parameters());
          const forward = tf.tidy(() => model.outputs(xs, b.steps, 2, false));
          const stepped = tf.tidy(() => {
            let states = model.initial(2);
            const ys: tf.Tensor2D[] = [];
            for (let t = 0; t < b.steps; t++) {
              const out = model.step(tf.slice(xs, [t * 2, 0], [2, -1]), states, t);
              ys.push(out.y);
              states = out.states;
            }
            return tf.concat(ys, 0);
          });
          const want = (await recorded!.array()) as number[][];
          assert.ok(maxRelError((await forward.array()) as number[][], want) < 1e-5, 'evaluation');
          assert.ok(maxRelError((await stepped.array()) as number[][], want) < 1e-5, 'generation');
          tf.dispose([xs, recorded!, forward, stepped, value, ...Object.values(grads)]);
          disposeModule(model);
        });
      }
    });
  }
}

describe('handwriting evaluation [cpu]', () => {
  before(async () => {
    await useBackend('cpu');
    enableFastPaths();
  });

  it('scores a padded batch as its sequences one by one: test_nll per sequence, per point over all points', async () => {
    const config = runConfigSchema.parse(tinyRun({ model: { hidden: [4, 3], mixtures: 2 } }));
    const task = createTask(config, { train: SET, test: SET, origin: 'hand-made' });
    const metrics = (await task.evaluate())!;
    task.dispose();
    // The same weights (same seed) built directly, each sequence alone.
    const alone = buildHandwriting({ config: config.model as HandwritingConfig, seed: config.train.seed });
    const sums = [0, 1].map((i) => tf.tidy(() => batchNll(alone, 2, SET, [i], false).sum.dataSync()[0]));
    disposeModule(alone);
    assert.ok(Math.abs(metrics.test_nll! - (sums[0] + sums[1]) / 2) < 1e-4, `${metrics.test_nll} vs ${sums}`);
    assert.ok(Math.abs(metrics.test_nll_per_point! - (sums[0] + sums[1]) / 6) < 1e-4);
  });
});

function tinyRun(overrides: { data?: object; model?: object } = {}) {
  return {
    name: 'tiny-handwriting',
    data: { source: 'hanzi', train: 24, test: 6, seed: 1, view: 'strokes', ...overrides.data },
    model: { kind: 'handwriting', hidden: [8, 8], mixtures: 3, ...overrides.model },
    train: { batchSize: 8, epochs: 2, learningRate: 1e-2, seed: 4, clipNorm: 10 },
  };
}

describe('handwriting configs', () => {
  it('reads data.source hanzi with data.charsPerSequence (default 1), and refuses what it does not read', () => {
    const parsed = runConfigSchema.parse(tinyRun());
    assert.equal(parsed.data.charsPerSequence, 1);
    const message = (c: object) => {
      const r = runConfigSchema.safeParse(c);
      assert.ok(!r.success, 'refused');
      return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    assert.match(
      message(tinyRun({ data: { source: 'bundled' } })),
      /data\.source: model\.kind handwriting reads data\.source hanzi/,
    );
    assert.match(
      message({ ...tinyRun(), data: { source: 'hanzi', train: 10, test: 5, view: 'flat' }, model: { kind: 'mlp' } }),
      /data\.source: model\.kind mlp reads data\.source one of bundled, .*hanzi is read by model\.kind handwriting/,
    );
    assert.match(
      message({ ...tinyRun(), data: { train: 10, test: 5, charsPerSequence: 3 }, model: { kind: 'mlp' } }),
      /data\.charsPerSequence: applies to data\.source hanzi only/,
    );
    assert.match(message(tinyRun({ data: { dir: '/tmp' } })), /data\.dir: applies to data\.source idx only/);
    assert.match(message(tinyRun({ data: { permute: true } })), /data\.permute/);
    assert.match(message(tinyRun({ model: { norm: 'batch' } })), /model\.norm/);
    assert.match(message(tinyRun({ model: { hidden: [] } })), /model\.hidden/);
    assert.match(message(tinyRun({ data: { charsPerSequence: 0 } })), /data\.charsPerSequence/);
  });
});

describe('a tiny handwriting network on the stroke data trains [wasm]', () => {
  before(async () => {
    await useBackend('wasm');
    enableFastPaths();
  });

  for (const norm of ['none', 'layer']) {
    it(`norm ${norm}: the NLL falls, no tensor leaks, a rerun gives the same numbers and samples`, async () => {
      const config = runConfigSchema.parse(tinyRun({ model: { norm } }));
      const data = loadData(config) as Dataset<SequenceSet>;
      const before = tf.memory().numTensors;
      const perEpoch: number[] = [];
      const a = await trainOn({ config, data, onEpoch: () => perEpoch.push(tf.memory().numTensors) });
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
      assert.equal(new Set(perEpoch).size, 1, `tensors per epoch ${perEpoch}`);
      assert.equal(a.status, 'complete');
      const [first, last] = [a.rows[0], a.rows[a.rows.length - 1]];
      assert.ok(last.test_nll! < first.test_nll!, `test NLL ${first.test_nll} -> ${last.test_nll}`);
      const points = data.test.offsets[data.test.count];
      assert.ok(Math.abs((last.test_nll! * data.test.count) / points - last.test_nll_per_point!) < 1e-4);
      const b = await trainOn({ config, data });
      const strip = (rows: typeof a.rows) => rows.map(({ seconds: _s, ...rest }) => rest);
      assert.deepEqual(strip(b.rows), strip(a.rows), 'determinism');
      assert.deepEqual(b.artifacts, a.artifacts, 'the same samples');
      const samples = a.artifacts!.samples as { sequences: number[][] };
      assert.equal(samples.sequences.length, SAMPLES);
      assert.ok(samples.sequences.every((s) => s.length > 0 && s.length % 3 === 0 && s.every(Number.isFinite)));
      assert.ok(
        samples.sequences.every((s) => s.every((v, i) => i % 3 !== 2 || v === 0 || v === 1)),
        'pen-up 0 or 1',
      );
      const nll = a.artifacts!.nll as { sequences: number[][]; nll: number[][] };
      assert.deepEqual(
        nll.nll.map((n) => n.length * 3),
        nll.sequences.map((s) => s.length),
      );
    });
  }
});
