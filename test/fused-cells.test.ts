// The fused recurrent cells (src/models/cells/fused.ts, src/backend/kernels/cells.ts and its SIMD loops) against the
// float64 references of cell-reference.ts (finite differences for every gradient) and against the op-by-op cells:
// whole sequences (padded or not) and single steps, every cell kind and norm (RMSNorm included: layer norm's loops
// with the mean taken as 0), on cpu and on wasm, where H 6 takes the JavaScript loops and H 8 the WebAssembly SIMD
// ones.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths, setFusedCells } from '../src/backend/fast';
import { wasmBackend } from '../src/backend/internals';
import { sigmoidInPlace, tanhInPlace } from '../src/backend/kernels/simd-cells';
import { rngFor } from '../src/data/rng';
import { fusedNormOf } from '../src/models/cells/fused';
import { createCell } from '../src/models/cells/registry';
import type { Cell } from '../src/models/cells/types';
import { runSequence } from '../src/models/cells/unroll';
import { rnn, rnnSchema } from '../src/models/rnn/spec';
import { collectPopulationStatistics } from '../src/norm/batch/population';
import type { BnStatistics } from '../src/norm/batch/spec';
import type { FusedNorm } from '../src/norm/types';
import { disposeModule } from '../src/util/module';
import { CASES, refLoss, refLossVariable, type M, type P } from './cell-reference';
import { finiteDifference, randomMatrix, TEST_BACKENDS, useBackend } from './helpers';

const [B, D, T] = [5, 3, 4];
const LENGTHS = [4, 2, 4, 3, 1];
/** Float32 against float64: the largest difference over the largest reference value, per parameter. */
const TOLERANCE = 1e-5;

type Kind = (typeof CASES)[number][0];
type Norm = (typeof CASES)[number][1];

const label = (kind: Kind, norm: Norm) =>
  `${{ none: '', layer: 'LN-', batch: 'BN-', rms: 'RMS-' }[norm]}${kind.toUpperCase()}`;

function makeCell(kind: Kind, norm: Norm, hidden: number, bnStats: BnStatistics = 'running'): Cell {
  const config = rnn.resolve(
    rnnSchema.parse({ kind: 'rnn', cell: kind, hidden, norm, gainInit: 0.7, biasInit: 0.1, bnStats }),
  );
  return createCell({ config, inputs: D, rng: rngFor(11, 'test'), name: `fused-${kind}-${norm}-${hidden}`, seed: 4 });
}

async function paramsOf(cell: Cell): Promise<P> {
  const out: P = { h0: Array.from(cell.h0) };
  for (const [k, v] of Object.entries(cell.params)) out[k] = (await v.array()) as number[] | M;
  return out;
}

interface Run {
  loss: number;
  grads: Record<string, number[]>;
  kernels: string[];
}

/** sum(w * h_T) over a sequence (step-major xs) and every parameter's gradient, with the fused cells on or off. */
async function run(cell: Cell, xs: M[], w: M, fused: boolean, how: 'sequence' | 'steps', lengths?: number[]) {
  setFusedCells(fused);
  const hidden = w[0].length;
  const loss = () =>
    tf.tidy(() => {
      let h: tf.Tensor2D;
      if (how === 'sequence') h = runSequence(cell, tf.tensor2d(xs.flat(), [T * B, D]), T, B, true, lengths).h;
      else {
        let s = cell.initial(B);
        xs.forEach((x, t) => (s = cell.step(tf.tensor2d(x), s, t, true)));
        h = s.h;
      }
      return tf.sum(tf.mul(h, tf.tensor2d(w, [B, hidden]))) as tf.Scalar;
    });
  const kernels: string[] = [];
  const profile = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(loss, Object.values(cell.params));
    tf.dispose([value, ...Object.values(grads)]);
  });
  kernels.push(...profile.kernels.map((k) => k.name));
  const { value, grads } = tf.variableGrads(loss, Object.values(cell.params));
  const out: Run = { loss: (await value.data())[0], grads: {}, kernels };
  for (const [k, v] of Object.entries(cell.params)) out.grads[k] = Array.from(await grads[v.name].data());
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

/** The largest difference over the largest reference magnitude. */
function scaledError(got: number[], ref: number[]): number {
  const scale = Math.max(1e-3, ...ref.map(Math.abs));
  return Math.max(...got.map((g, i) => Math.abs(g - ref[i]))) / scale;
}

/** Finite differences of the float64 reference loss for each parameter of `p`. */
function referenceGradients(kind: Kind, norm: Norm, p: P, xs: M[], w: M, lengths?: number[]) {
  const loss = (q: P) => (lengths ? refLossVariable(kind, norm, q, xs, w, lengths) : refLoss(kind, norm, q, xs, w));
  const grads: Record<string, number[]> = {};
  for (const [name, value] of Object.entries(p)) {
    if (name === 'h0') continue;
    const rows = Array.isArray(value[0]) ? (value as M).length : 0;
    const unflat = (q: number[]) =>
      rows ? Array.from({ length: rows }, (_, r) => q.slice((r * q.length) / rows, ((r + 1) * q.length) / rows)) : q;
    grads[name] = finiteDifference((q) => loss({ ...p, [name]: unflat(q) }), value.flat() as number[]);
  }
  return { loss: loss(p), grads };
}

for (const backend of TEST_BACKENDS) {
  describe(`fused recurrent cells [${backend}]`, () => {
    before(async () => {
      await useBackend(backend);
      enableFastPaths();
    });
    after(() => {
      setFusedCells(true);
      disableFastPaths();
    });

    for (const [kind, norm] of CASES) {
      for (const hidden of [6, 8]) {
        for (const lengths of [undefined, LENGTHS]) {
          const what = lengths ? 'padded sequences' : 'a sequence';
          it(`${label(kind, norm)} (H ${hidden}), ${what}: loss and every gradient match float64 and the op-by-op cell`, async () => {
            const cell = makeCell(kind, norm, hidden);
            const p = await paramsOf(cell);
            const xs = Array.from({ length: T }, (_, t) => randomMatrix(B, D, 30 + t));
            const w = randomMatrix(B, hidden, 40);
            // Batch norm creates each step's evaluation statistics (buffers of the cell) at its first training step.
            await run(cell, xs, w, true, 'sequence', lengths);
            assert.equal(cell.fused(true)?.norm, norm, 'the fused kernels compute the norm');
            const before = tf.memory().numTensors;
            const fused = await run(cell, xs, w, true, 'sequence', lengths);
            const opByOp = await run(cell, xs, w, false, 'sequence', lengths);
            assert.equal(tf.memory().numTensors, before, 'tensors left behind');
            assert.ok(fused.kernels.some((k) => k.startsWith(`LnRepro${kind === 'lstm' ? 'Lstm' : 'Gru'}Forward`)));
            assert.ok(!opByOp.kernels.some((k) => k.startsWith('LnReproLstm') || k.startsWith('LnReproGru')));
            const ref = referenceGradients(kind, norm, p, xs, w, lengths);
            assert.ok(
              Math.abs(fused.loss - ref.loss) <= TOLERANCE * Math.max(1, Math.abs(ref.loss)),
              `loss ${fused.loss} vs ${ref.loss}`,
            );
            for (const [name, g] of Object.entries(fused.grads)) {
              const err = scaledError(g, ref.grads[name]);
              assert.ok(err <= TOLERANCE, `${name}: ${err} against float64`);
              assert.ok(scaledError(g, opByOp.grads[name]) <= TOLERANCE, `${name}: against the op-by-op cell`);
            }
            disposeModule(cell);
          });
        }
      }
      if (norm !== 'batch')
        it(`${label(kind, norm)} (H 8), step by step (the one-step op DRAW takes): gradients match float64`, async () => {
          const cell = makeCell(kind, norm, 8);
          const p = await paramsOf(cell);
          const xs = Array.from({ length: T }, (_, t) => randomMatrix(B, D, 50 + t));
          const w = randomMatrix(B, 8, 60);
          const fused = await run(cell, xs, w, true, 'steps');
          assert.equal(cell.fused(true)?.norm, norm, 'the fused kernels compute the norm');
          assert.ok(fused.kernels.filter((k) => k.endsWith('Forward')).length === T, 'one fused kernel a step');
          const ref = referenceGradients(kind, norm, p, xs, w);
          for (const [name, g] of Object.entries(fused.grads))
            assert.ok(scaledError(g, ref.grads[name]) <= TOLERANCE, `${name}: ${scaledError(g, ref.grads[name])}`);
          disposeModule(cell);
        });
    }

    it('BN-LSTM: a population pass through the fused sequence gives the op-by-op population statistics', async () => {
      const stats = async (fused: boolean) => {
        setFusedCells(fused);
        const cell = makeCell('lstm', 'batch', 8, 'population');
        const xs = tf.tensor2d(randomMatrix(T * B, D, 70));
        collectPopulationStatistics(() => tf.tidy(() => void runSequence(cell, xs, T, B, true, LENGTHS)));
        const values = await Promise.all(cell.buffers().map(async (v) => Array.from(await v.data())));
        disposeModule(cell);
        xs.dispose();
        return values;
      };
      const [fused, opByOp] = [await stats(true), await stats(false)];
      assert.equal(fused.length, opByOp.length);
      fused.forEach((v, i) =>
        assert.ok(scaledError(v, opByOp[i]) <= 1e-6, `buffer ${i}: ${scaledError(v, opByOp[i])}`),
      );
    });

    for (const [kind, norm] of [
      ['lstm', 'layer'],
      ['gru', 'layer'],
      ['lstm', 'rms'],
      ['gru', 'rms'],
    ] as const)
      it(`${label(kind, norm)} evaluation (no gradient): the op-by-op h_T, no more memory at its peak`, async () => {
        // A long sequence of narrow steps: an input product for all steps at once would be the largest tensor.
        const [steps, batch] = [60, 16];
        const cell = makeCell(kind, norm, 8);
        const xs = tf.tensor2d(randomMatrix(steps * batch, D, 95));
        const evaluate = async (fused: boolean) => {
          setFusedCells(fused);
          let h: number[] = [];
          const profile = await tf.profile(async () => {
            const last = tf.tidy(() => runSequence(cell, xs, steps, batch, false).h);
            h = Array.from(await last.data());
            last.dispose();
          });
          return { h, peak: profile.peakBytes - profile.newBytes };
        };
        const cellTensors = tf.memory().numTensors;
        const [fused, opByOp] = [await evaluate(true), await evaluate(false)];
        assert.equal(tf.memory().numTensors, cellTensors, 'tensors left behind');
        assert.ok(scaledError(fused.h, opByOp.h) <= TOLERANCE, `h_T: ${scaledError(fused.h, opByOp.h)}`);
        assert.ok(fused.peak <= 1.25 * opByOp.peak, `peak bytes: fused ${fused.peak}, op by op ${opByOp.peak}`);
        xs.dispose();
        disposeModule(cell);
      });

    it('an LN-LSTM training step dispatches a few kernels per time step fused, tens op by op', async () => {
      const cell = makeCell('lstm', 'layer', 8);
      const xs = Array.from({ length: T }, (_, t) => randomMatrix(B, D, 80 + t));
      const w = randomMatrix(B, 8, 90);
      const counted = (r: Run) => r.kernels.filter((k) => k !== 'Identity' && k !== 'Reshape').length;
      const [fused, opByOp] = [await run(cell, xs, w, true, 'sequence'), await run(cell, xs, w, false, 'sequence')];
      // Forward: the product and the kernel; backward: the kernel and the product; a constant number besides.
      assert.ok(counted(fused) <= 4 * T + 25, `fused: ${counted(fused)} kernels for ${T} steps`);
      assert.ok(counted(opByOp) >= 30 * T, `op by op: ${counted(opByOp)} kernels for ${T} steps`);
      disposeModule(cell);
    });
  });
}

describe('fusedNormOf', () => {
  const fake = (axis: 0 | 1, center?: boolean) => ({ axis, center, fusable: () => true }) as unknown as FusedNorm;
  it("names the one kind of a cell's term norms: layer, rms (axis 1, center false), batch; none without norms", () => {
    assert.equal(fusedNormOf([], true), 'none');
    assert.equal(fusedNormOf([fake(1), fake(1, true), fake(1)], true), 'layer');
    assert.equal(fusedNormOf([fake(1, false), fake(1, false), fake(1, false)], true), 'rms');
    assert.equal(fusedNormOf([fake(0), fake(0), fake(0)], true), 'batch');
  });
  it('refuses a mix (re-centred beside RMS terms, rows beside columns), a column norm without re-centering, and a missing one', () => {
    assert.equal(fusedNormOf([fake(1), fake(1, false)], true), undefined);
    assert.equal(fusedNormOf([fake(1, false), fake(0)], true), undefined);
    assert.equal(fusedNormOf([fake(1), fake(0)], true), undefined);
    assert.equal(fusedNormOf([fake(0, false), fake(0, false)], true), undefined);
    assert.equal(fusedNormOf([fake(1, false), undefined], true), undefined);
  });
});

describe('the SIMD activations [wasm]', () => {
  before(async () => {
    await useBackend('wasm');
    enableFastPaths();
  });
  after(() => disableFastPaths());

  it('tanh and sigmoid within 2 float32 ulps of Math, saturating to exactly 1 (a gate gradient 1 - n^2 of 0)', () => {
    const values = [-1e6, -100, -12, -9.02, -3, -0.7, -1e-3, -1e-7, 0, 2e-8, 0.3, 0.624, 0.626, 5, 9.02, 12, 1e6];
    const ulp = (v: number) => Math.max(Math.abs(v) * 2 ** -23, 2 ** -126);
    for (const [name, apply, ref] of [
      ['tanh', tanhInPlace, Math.tanh],
      ['sigmoid', sigmoidInPlace, (v: number) => 1 / (1 + Math.exp(-v))],
    ] as const) {
      const t = tf.tensor1d(values);
      const heap = wasmBackend(tf.backend()).typedArrayFromHeap(t);
      apply(heap, 0, values.length); // 16 by the SIMD loop, the last (n mod 4) by the JavaScript one
      values.forEach((v, i) => {
        const want = Math.fround(ref(Math.fround(v)));
        assert.ok(Math.abs(heap[i] - want) <= 2 * ulp(want), `${name}(${v}) = ${heap[i]}, not ${want}`);
        if (Math.abs(want) === 1) assert.equal(heap[i], want, `${name}(${v}) saturates`);
      });
      t.dispose();
    }
  });
});

describe('LN_REPRO_FUSED_CELLS', () => {
  it('0 keeps the fused cell kernels unregistered when the fast paths go on; unset registers them', () => {
    const fast = join(__dirname, '..', 'src', 'backend', 'fast.js');
    const probe = `const tf = require('@tensorflow/tfjs'); require(${JSON.stringify(fast)}).enableFastPaths();
      process.stdout.write(String(Boolean(tf.getKernel('LnReproLstmForward', 'cpu'))));`;
    const registered = (env: Record<string, string>) =>
      execFileSync(process.execPath, ['-e', probe], { env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.equal(registered({ LN_REPRO_FUSED_CELLS: '0' }), 'false');
    assert.equal(registered({ LN_REPRO_FUSED_CELLS: '1' }), 'true');
  });
});
