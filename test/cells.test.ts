// Recurrent cells against independent float64 references (the paper's supplementary material; Cooijmans et al. for BN-LSTM): one step's values, and gradients
// through time for every parameter against central finite differences of the reference.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths } from '../src/backend/fast';
import { rngFor } from '../src/data/rng';
import { createCell } from '../src/models/cells/registry';
import type { Cell, CellState } from '../src/models/cells/types';
import { unroll } from '../src/models/cells/unroll';
import { rnn, rnnSchema } from '../src/models/rnn/spec';
import { collectPopulationStatistics } from '../src/norm/batch/population';
import type { BnStatistics } from '../src/norm/batch/spec';
import { disposeModule } from '../src/util/module';
import { CASES, gruRef, lstmRef, refLoss, refLossVariable, type M, type P } from './cell-reference';
import { finiteDifference, randomMatrix, TEST_BACKENDS, useBackend } from './helpers';

const [B, D, H, T] = [3, 3, 2, 3];

const label = (kind: string, norm: (typeof CASES)[number][1]) =>
  `${{ none: '', layer: 'LN-', batch: 'BN-', rms: 'RMS-' }[norm]}${kind.toUpperCase()}`;

function makeCell(cell: 'lstm' | 'gru', norm: (typeof CASES)[number][1], bnStats: BnStatistics = 'population'): Cell {
  const config = rnn.resolve(
    rnnSchema.parse({ kind: 'rnn', cell, hidden: H, norm, gainInit: 0.7, biasInit: 0.1, bnStats }),
  );
  return createCell({ config, inputs: D, rng: rngFor(7, 'test'), name: `${cell}-${norm}` });
}

async function paramsOf(cell: Cell): Promise<P> {
  const out: P = {};
  for (const [k, variable] of Object.entries(cell.params)) out[k] = (await variable.array()) as number[] | M;
  out.h0 = Array.from(cell.h0); // the initial state, not a parameter
  return out;
}

for (const backend of TEST_BACKENDS) {
  describe(`recurrent cells [${backend}]`, () => {
    before(async () => {
      await useBackend(backend);
      enableFastPaths();
    });
    after(() => disableFastPaths());

    for (const stats of ['population', 'running'] as const) {
      it(`BN-LSTM (${stats}) keeps statistics per step and reuses the last trained step beyond it at evaluation`, async () => {
        const cell = makeCell('lstm', 'batch', stats);
        const x = tf.tensor2d(randomMatrix(B, D, 40));
        const s = { h: tf.tensor2d(randomMatrix(B, H, 41)), c: tf.tensor2d(randomMatrix(B, H, 42)) };
        assert.throws(() => cell.step(x, s, 0, false), /evaluated before any training step/);
        const trainTwoSteps = () => {
          cell.step(x, s, 0, true);
          cell.step(tf.mul(x, 3) as tf.Tensor2D, s, 1, true); // step 1 sees other statistics than step 0
        };
        if (stats === 'population') collectPopulationStatistics(trainTwoSteps);
        else trainTwoSteps();
        const at = async (t: number) => await cell.step(x, s, t, false).h.array();
        assert.deepEqual(await at(7), await at(1), 'beyond the longest trained step: the last step');
        assert.notDeepEqual(await at(0), await at(1), 'statistics differ per step');
        assert.equal(
          cell.buffers().length,
          3 * 2 * 2 + 2,
          'mean and variance per step for 3 norms, and 2 fixed zero biases',
        );
        disposeModule(cell);
      });
    }

    it('h_0 is uniform in [-model.h0Scale, h0Scale], the same for every norm, and 0 for h0Scale 0', () => {
      const h0 = (h0Scale: number, norm: 'none' | 'layer') => {
        const config = rnn.resolve(rnnSchema.parse({ kind: 'rnn', hidden: 64, norm, h0Scale }));
        const cell = createCell({ config, inputs: 3, rng: rngFor(1, 'test'), name: `h0-${h0Scale}-${norm}`, seed: 5 });
        tf.dispose(Object.values(cell.params));
        return Array.from(cell.h0);
      };
      const wide = h0(0.5, 'layer');
      assert.ok(wide.every((x) => Math.abs(x) <= 0.5) && wide.some((x) => Math.abs(x) > 0.1), `${wide}`);
      assert.deepEqual(h0(0.5, 'none'), wide);
      const narrow = h0(0.1, 'layer');
      assert.ok(
        narrow.every((x, i) => Math.abs(x - wide[i] / 5) < 1e-7),
        'the same draws, scaled',
      );
      assert.ok(
        h0(0, 'layer').every((x) => x === 0),
        'h0Scale 0: h_0 = 0',
      );
    });

    it('LN-LSTM and LN-GRU keep gradients bounded over leading all-zero inputs (blank MNIST rows), thanks to h_0 != 0', async () => {
      for (const kind of ['lstm', 'gru'] as const) {
        // The sequential-MNIST setting: default init (gains 1, biases 0), 28 inputs, 32 units, 8 blank rows.
        const [batch, inputs, hidden, steps] = [4, 28, 32, 12];
        const config = rnn.resolve(rnnSchema.parse({ kind: 'rnn', cell: kind, hidden, norm: 'layer', gainInit: 1 }));
        const cell = createCell({ config, inputs, rng: rngFor(3, 'test'), name: `blank-${kind}`, seed: 3 });
        assert.ok(
          cell.h0.some((x) => x !== 0) && cell.h0.every((x) => Math.abs(x) <= 0.1),
          'h_0 is small and not zero',
        );
        const xs = Array.from({ length: steps }, (_, t) =>
          t < 8 ? randomMatrix(batch, inputs, 0, 0) : randomMatrix(batch, inputs, 70 + t),
        );
        const w = tf.tensor2d(randomMatrix(batch, hidden, 80));
        const { grads } = tf.variableGrads(
          () => tf.sum(tf.mul(unroll(cell, (t) => tf.tensor2d(xs[t]), steps, batch, true).h, w)) as tf.Scalar,
          Object.values(cell.params),
        );
        const largest = Math.max(
          ...(await Promise.all(
            Object.values(grads).map(async (g) => Math.max(...Array.from(await g.data()).map(Math.abs))),
          )),
        );
        // With h_0 = 0 the state stays exactly zero over the zero inputs: ~1e31 on sequential MNIST.
        assert.ok(Number.isFinite(largest) && largest < 100, `${kind}: largest gradient ${largest}`);
        tf.dispose([w, ...Object.values(cell.params), ...Object.values(grads)]);
      }
    });

    for (const [kind, norm] of CASES) {
      it(`${label(kind, norm)}: one step and gradients through ${T} steps match float64`, async () => {
        const cell = makeCell(kind, norm);
        const p = await paramsOf(cell);
        const xs = Array.from({ length: T }, (_, t) => randomMatrix(B, D, 10 + t));
        const w = randomMatrix(B, H, 20);
        // One step from a non-zero state.
        const h0 = randomMatrix(B, H, 30, 0.5);
        const c0 = randomMatrix(B, H, 31, 0.5);
        const s0: CellState = { h: tf.tensor2d(h0), c: tf.tensor2d(c0) };
        const one = cell.step(tf.tensor2d(xs[0]), s0, 0, true);
        const ref = kind === 'lstm' ? lstmRef(p, norm, xs[0], { h: h0, c: c0 }) : gruRef(p, norm, xs[0], { h: h0 });
        const got = await one.h.array();
        got
          .flat()
          .forEach((g, i) => assert.ok(Math.abs(g - ref.h.flat()[i]) < 1e-5, `h[${i}]: ${g} vs ${ref.h.flat()[i]}`));
        // Gradients through time, from the initial state h_0 (see src/models/cells/parts.ts).
        const names = Object.keys(cell.params);
        const { grads } = tf.variableGrads(() => {
          let s = cell.initial(B);
          xs.forEach((x, t) => (s = cell.step(tf.tensor2d(x), s, t, true)));
          return tf.sum(tf.mul(s.h, tf.tensor2d(w))) as tf.Scalar;
        }, Object.values(cell.params));
        let worst = 0;
        for (const name of names) {
          const shape = cell.params[name].shape;
          const flat = p[name].flat() as number[];
          const fd = finiteDifference((q) => {
            const value =
              shape.length === 2
                ? Array.from({ length: shape[0] }, (_, r) => q.slice(r * shape[1], (r + 1) * shape[1]))
                : q;
            return refLoss(kind, norm, { ...p, [name]: value }, xs, w);
          }, flat);
          const g = Array.from(await grads[cell.params[name].name].data());
          const scale = Math.max(1e-3, ...fd.map(Math.abs));
          const err = Math.max(...g.map((e, i) => Math.abs(e - fd[i]))) / scale;
          assert.ok(
            err < 2e-3,
            `${name}: relative error ${err} (analytic ${g.slice(0, 4)}, finite differences ${fd.slice(0, 4)})`,
          );
          worst = Math.max(worst, err);
        }
        assert.ok(Number.isFinite(worst));
        disposeModule(cell);
      });

      it(`${label(kind, norm)}: padded steps of shorter sequences leave the state unchanged and enter no statistics`, async () => {
        const lengths = [3, 1, 3, 2];
        const batch = lengths.length;
        const xs = Array.from({ length: T }, (_, t) => randomMatrix(batch, D, 50 + t));
        // Padding filled with large garbage: if any of it leaked into a state or a statistic, the results would move.
        const garbage = xs.map((x, t) => x.map((row, b) => (lengths[b] > t ? row : row.map((v) => 40 + 25 * v))));
        const w = randomMatrix(batch, H, 60);
        // Batch norm's statistics: running averages moved by this training step, or population statistics of a pass.
        const run = async (inputs: M[], stats: BnStatistics = 'population') => {
          const cell = makeCell(kind, norm, stats);
          const p = await paramsOf(cell);
          const step = () =>
            tf.variableGrads(() => {
              const s = unroll(cell, (t) => tf.tensor2d(inputs[t]), T, batch, true, lengths);
              return tf.sum(tf.mul(s.h, tf.tensor2d(w))) as tf.Scalar;
            }, Object.values(cell.params));
          let result: ReturnType<typeof step> | undefined;
          if (stats === 'population') collectPopulationStatistics(() => (result = step()));
          else result = step();
          const { value, grads } = result!;
          const out = {
            p,
            loss: (await value.data())[0],
            grads: Object.fromEntries(
              await Promise.all(
                Object.entries(cell.params).map(async ([k, v]) => [k, Array.from(await grads[v.name].data())] as const),
              ),
            ),
            state: await Promise.all(cell.buffers().map(async (v) => Array.from(await v.data()))),
          };
          disposeModule(cell);
          tf.dispose([value, ...Object.values(grads)]);
          return out;
        };
        const clean = await run(xs);
        const noisy = await run(garbage);
        assert.equal(noisy.loss, clean.loss, 'garbage in the padding changed the output');
        assert.deepEqual(noisy.grads, clean.grads, 'garbage in the padding changed a gradient');
        for (const stats of norm === 'batch' ? (['population', 'running'] as const) : []) {
          const [c, n] = [await run(xs, stats), await run(garbage, stats)];
          assert.deepEqual(n.state, c.state, `garbage in the padding changed a statistic (${stats})`);
          // Everything moved from its initial 0 or 1 but the two fixed zero biases and (population) the step-0
          // variance of W_h h_0, exactly 0 since h_0 is the same for every sequence.
          const moved = c.state.filter((v) => v.some((e) => e !== 0 && e !== 1)).length;
          assert.ok(moved >= c.state.length - 3, `${moved} of ${c.state.length} statistics moved (${stats})`);
        }
        const ref = refLossVariable(kind, norm, clean.p, xs, w, lengths);
        assert.ok(
          Math.abs(clean.loss - ref) < 1e-4 * Math.max(1, Math.abs(ref)),
          `loss ${clean.loss} vs float64 ${ref}`,
        );
        for (const [name, g] of Object.entries(clean.grads)) {
          const value = clean.p[name];
          const rows = Array.isArray(value[0]) ? (value as M).length : 0;
          const flat = value.flat() as number[];
          const fd = finiteDifference(
            (q) =>
              refLossVariable(
                kind,
                norm,
                {
                  ...clean.p,
                  [name]: rows
                    ? Array.from({ length: rows }, (_, r) =>
                        q.slice((r * q.length) / rows, ((r + 1) * q.length) / rows),
                      )
                    : q,
                },
                xs,
                w,
                lengths,
              ),
            flat,
          );
          const scale = Math.max(1e-3, ...fd.map(Math.abs));
          const err = Math.max(...g.map((e, i) => Math.abs(e - fd[i]))) / scale;
          assert.ok(
            err < 2e-3,
            `${name}: relative error ${err} (analytic ${g.slice(0, 4)}, finite differences ${fd.slice(0, 4)})`,
          );
        }
      });
    }
  });
}
