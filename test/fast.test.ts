// The fast paths equal the straightforward ones: fused norm and Adam kernels vs composite tfjs ops, and the
// wasm speed-ups (product routing, sharing Identity) vs the kernels without them, on every backend that loads here;
// and with the fast paths off, the wasm correctness fix (always on) makes fused products equal the cpu backend's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths } from '../src/backend/fast';
import { stockWasmKernel, wasmHeap } from '../src/backend/internals';
import { fixedFusedMatMul } from '../src/backend/kernels/wasm-fixes';
import { strategyCosts } from '../src/backend/kernels/wasm-speedups';
import { normalizeScaleShift } from '../src/norm/normalize';
import { Adam } from '../src/train/adam';
import { ADAM, useSimdAdam } from '../src/backend/kernels/adam';
import { NORMALIZE, NORMALIZE_GRAD } from '../src/backend/kernels/normalize';
import { MAX_GRID } from '../src/backend/kernels/webgpu/dispatch';
import { meanNll, SOFTMAX_CE, SOFTMAX_CE_GRAD } from '../src/metrics/classification';
import { nllAndErrorRef, normalizeRef } from './reference';
import { finiteDifference, maxRelError, onKernel, randomMatrix, KERNEL_BACKENDS, reshape, useBackend } from './helpers';

const flat = async (t: tf.Tensor) => Array.from(await t.data());

/** The kernels enableFastPaths registers on cpu, wasm and webgpu (disableFastPaths removes them). */
const FUSED = [NORMALIZE, NORMALIZE_GRAD, ADAM];
/** The training loss's kernels, which enableFastPaths registers on webgpu only. */
const LOSS = [SOFTMAX_CE, SOFTMAX_CE_GRAD];
/** The wasm kernels the speed-ups replace (disableFastPaths puts back the stock ones, and the fixed _FusedMatMul). */
const WASM_SPEEDUPS = ['BatchMatMul', '_FusedMatMul', 'Identity', 'Slice', 'SplitV'];

type Dispatched = Map<string, Set<tf.KernelFunc>>;

/** Runs `f`, recording for each kernel name the kernel functions the engine ran for it on the current backend. */
function dispatched<T>(f: () => T): { out: T; used: Dispatched } {
  const used: Dispatched = new Map();
  const stop = onKernel((name) => {
    const k = tf.getKernel(name, tf.getBackend());
    if (k) used.set(name, (used.get(name) ?? new Set()).add(k.kernelFunc));
  });
  try {
    return { out: f(), used };
  } finally {
    stop();
  }
}

/**
 * Asserts that the plain run took no fast path and that the fast run ran each of `kernels` with a function the
 * plain run did not use: the two sides of a comparison ran different code, not the same composite twice.
 */
function assertDifferentPaths(plain: Dispatched, fast: Dispatched, kernels: readonly string[]) {
  for (const name of FUSED) assert.ok(!plain.has(name), `the plain run ran ${name}`);
  assert.ok(kernels.length > 0);
  for (const name of kernels) {
    const ran = [...(fast.get(name) ?? [])];
    assert.ok(ran.length > 0, `the fast run did not run ${name}`);
    for (const fn of ran) assert.ok(!plain.get(name)?.has(fn), `${name}: the fast run ran the plain run's kernel`);
  }
}

/**
 * Runs `f` with the fast paths off, then on, and returns both results as plain arrays; asserts that the fast run
 * ran `kernels` (fused or fixed) where the plain one did not.
 */
async function plainAndFast(
  f: () => tf.Tensor | tf.Tensor[],
  kernels: readonly string[],
): Promise<[number[][], number[][]]> {
  const run = async () => {
    const { out, used } = dispatched(f);
    const list = Array.isArray(out) ? out : [out];
    const values = await Promise.all(list.map(flat));
    tf.dispose(list);
    return { values, used };
  };
  disableFastPaths();
  const plain = await run();
  enableFastPaths();
  const fast = await run();
  assertDifferentPaths(plain.used, fast.used, kernels);
  return [plain.values, fast.values];
}

/** max |a - b| relative to the output's scale, max(1, max |b|): summation order differs between kernels. */
function scaledError(a: number[], b: number[]): number {
  let [scale, worst] = [1, 0];
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst / scale;
}

/** normalizeScaleShift along `axis` (epsilon 1e-5) as a function of (x, gain, bias), for tf.valueAndGrads. */
const normalizeOf =
  (axis: 0 | 1, onStats?: (mean: tf.Tensor, variance: tf.Tensor) => void) =>
  (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    normalizeScaleShift({
      x: a as tf.Tensor2D,
      gain: g as tf.Tensor1D,
      bias: b as tf.Tensor1D,
      axis,
      epsilon: 1e-5,
      onStats,
    });

function assertClose(a: number[][], b: number[][], tol = 1e-5) {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(scaledError(x, b[i]) < tol, `output ${i}: relative error ${scaledError(x, b[i])}`));
}

for (const backend of KERNEL_BACKENDS) {
  describe(`fused kernels equal composite ops [${backend}]`, () => {
    before(() => useBackend(backend));
    after(() => disableFastPaths());

    it('enableFastPaths registers the fused kernels (on wasm, the speed-ups); disableFastPaths removes them', () => {
      disableFastPaths();
      const kernelFunc = (name: string) => tf.getKernel(name, backend)?.kernelFunc;
      for (const name of FUSED) assert.equal(kernelFunc(name), undefined, `${name} is off`);
      const off = WASM_SPEEDUPS.map(kernelFunc);
      if (backend === 'wasm') {
        assert.deepEqual(
          off,
          [
            stockWasmKernel('BatchMatMul').kernelFunc,
            fixedFusedMatMul,
            stockWasmKernel('Identity').kernelFunc,
            stockWasmKernel('Slice').kernelFunc,
            stockWasmKernel('SplitV').kernelFunc,
          ],
          'off: the stock kernels, and the fixed _FusedMatMul',
        );
      }
      enableFastPaths();
      for (const name of FUSED) assert.ok(kernelFunc(name), `${name} is registered on ${backend}`);
      for (const name of LOSS) assert.equal(Boolean(kernelFunc(name)), backend === 'webgpu', `${name} on ${backend}`);
      WASM_SPEEDUPS.forEach((name, i) =>
        backend === 'wasm'
          ? assert.notEqual(kernelFunc(name), off[i], `the faster ${name} is installed`)
          : assert.equal(kernelFunc(name), off[i], `${name} is left alone on ${backend}`),
      );
      if (backend === 'wasm') assert.ok(kernelFunc('Conv2DBackpropFilter'), 'the missing conv kernel is registered');
      disableFastPaths();
      for (const name of [...FUSED, ...LOSS]) assert.equal(kernelFunc(name), undefined, `${name} is off again`);
      WASM_SPEEDUPS.forEach((name, i) => assert.equal(kernelFunc(name), off[i], `${name} is back as it was`));
      if (backend === 'wasm') assert.ok(kernelFunc('Conv2DBackpropFilter'), 'the missing conv kernel stays');
    });

    for (const [rows, cols] of [
      [1, 9],
      [4, 1000],
      [33, 17],
      [128, 64],
    ] as const) {
      for (const axis of [0, 1] as const) {
        if (axis === 0 && rows === 1) continue; // batch statistics of one example: variance 0, covered in norm tests
        it(`normalize forward, statistics and gradients, [${rows},${cols}] axis ${axis}`, async () => {
          const x = tf.tensor2d(randomMatrix(rows, cols, rows + cols, 2, 0.5));
          const gain = tf.tensor1d(randomMatrix(1, cols, 3, 0.5, 1)[0]);
          const bias = tf.tensor1d(randomMatrix(1, cols, 4)[0]);
          const dy = tf.tensor2d(randomMatrix(rows, cols, 5));
          const [plain, fast] = await plainAndFast(() => {
            const stats: tf.Tensor[] = [];
            const f = normalizeOf(axis, (m, v) => stats.push(tf.keep(m.clone()), tf.keep(v.clone())));
            const { value, grads } = tf.valueAndGrads(f)([x, gain, bias], dy);
            return [value, ...grads, ...stats];
          }, [NORMALIZE, NORMALIZE_GRAD]);
          assertClose(fast, plain);
        });
      }
    }

    if (backend === 'webgpu') {
      it('layer norm over more rows than one dimension of a dispatch holds (65,535 workgroups): the grid folds', async () => {
        enableFastPaths();
        const rows = MAX_GRID + 65;
        // Row r is [0, k] with k = 1 + r % 5: normalized, [-1, 1] whatever k (epsilon 0), unless a row is skipped.
        const x = tf.tensor2d(
          Array.from({ length: rows * 2 }, (_, i) => (i % 2) * (1 + ((i >> 1) % 5))),
          [rows, 2],
        );
        const y = normalizeScaleShift({ x, gain: tf.ones([2]), bias: tf.zeros([2]), axis: 1, epsilon: 0 });
        const values = await y.data();
        const wrong = values.findIndex((v, i) => v !== (i % 2 ? 1 : -1));
        assert.equal(wrong, -1, `row ${wrong >> 1}`);
        tf.dispose([x, y]);
      });

      it('batch norm over 30,000 rows and layer norm backward over 65,600: no thread loops over a whole batch', async () => {
        // llvmpipe ends a shader invocation after 65,535 loop iterations, silently; a GPU would serialize the loop.
        enableFastPaths();
        for (const [rows, axis] of [
          [30000, 0],
          [MAX_GRID + 65, 1],
        ] as const) {
          const values = randomMatrix(rows, 3, 21, 2, 3).flat();
          const dyValues = randomMatrix(rows, 3, 22).flat();
          const run = async () => {
            const x = tf.tensor2d(values, [rows, 3]);
            const dy = tf.tensor2d(dyValues, [rows, 3]);
            const f = normalizeOf(axis);
            const { value, grads } = tf.valueAndGrads(f)([x, tf.tensor1d([1, 2, 0.5]), tf.tensor1d([0, 1, -1])], dy);
            const out = await Promise.all([value, ...grads].map(flat));
            tf.dispose([x, dy, value, ...grads]);
            return out;
          };
          const gpu = await run();
          await tf.setBackend('cpu'); // the JavaScript kernels, float64 sums
          const cpu = await run();
          await tf.setBackend('webgpu');
          assertClose(gpu, cpu, 1e-4);
        }
      });

      it('layer norm of values far from 0 keeps float32 precision (means about a pivot)', async () => {
        enableFastPaths();
        const x = randomMatrix(3, 129, 23, 1, 1000).map((row) => row.map(Math.fround)); // as the tensor holds them
        const y = normalizeScaleShift({
          x: tf.tensor2d(x),
          gain: tf.ones([129]),
          bias: tf.zeros([129]),
          axis: 1,
          epsilon: 1e-5,
        });
        const err = maxRelError(await flat(y), normalizeRef(x, Array(129).fill(1), Array(129).fill(0), 1, 1e-5).flat());
        assert.ok(err < 2e-5, `${err}`);
        y.dispose();
      });

      it('an empty tensor is refused before anything is queued (Dawn would drop the queued work with it)', async () => {
        enableFastPaths();
        const a = tf.mul(tf.tensor1d([1, 2, 3, 4]), 7);
        assert.throws(
          () =>
            normalizeScaleShift({
              x: tf.zeros([0, 4]),
              gain: tf.ones([4]),
              bias: tf.zeros([4]),
              axis: 1,
              epsilon: 1e-5,
            }),
          /empty tensor/,
        );
        assert.deepEqual(await flat(a), [7, 14, 21, 28], 'the work queued before is intact');
        a.dispose();
      });

      for (const [rows, classes, dtype] of [
        [1, 10, 'int32'],
        [128, 10, 'int32'],
        [300, 7, 'float32'],
      ] as const) {
        it(`softmax cross-entropy: loss and gradient, [${rows},${classes}] ${dtype} one-hot labels`, async () => {
          const logits = tf.tensor2d(randomMatrix(rows, classes, rows + classes, 3));
          const labels = Array.from({ length: rows }, (_, i) => (i * 7 + 3) % classes);
          // The labels are made inside the loss function, as in training: tidied before the backward pass runs.
          // int32 labels from tf.oneHot (as training makes them); float32 ones from floats (a cast of int32 would
          // keep the int32 buffer on webgpu).
          const oneHot = () =>
            dtype === 'int32'
              ? (tf.oneHot(tf.tensor1d(labels, 'int32'), classes) as tf.Tensor2D)
              : tf.tensor2d(labels.map((c) => Array.from({ length: classes }, (_, k) => (k === c ? 1 : 0))));
          const loss = (l: tf.Tensor) => meanNll(l as tf.Tensor2D, oneHot());
          const [plain, fast] = await plainAndFast(() => {
            const { value, grads } = tf.valueAndGrads(loss)([logits]);
            return [value, ...grads];
          }, LOSS);
          assertClose(fast, plain);
          // Against the float64 reference and its finite differences.
          const ref = (flat: number[]) => nllAndErrorRef(reshape(flat, rows, classes), labels).nll;
          const x = (await logits.array()).flat();
          assert.ok(Math.abs(fast[0][0] - ref(x)) < 1e-5 * Math.max(1, ref(x)), `loss ${fast[0][0]} vs ${ref(x)}`);
          const fd = finiteDifference(ref, x);
          assert.ok(maxRelError(fast[1], fd) < 1e-5, `gradient: ${maxRelError(fast[1], fd)}`);
          logits.dispose();
        });
      }
    }

    it('Adam: the fused update equals the composite one and tf.train.adam over 5 steps', async () => {
      const init = [randomMatrix(30, 20, 7), randomMatrix(1, 20, 8)];
      const gradsAt = (step: number) => [randomMatrix(30, 20, 100 + step), randomMatrix(1, 20, 200 + step)];
      const train = (make: (vars: tf.Variable[]) => (pairs: [tf.Variable, tf.Tensor][]) => void) => {
        const vars = init.map((m) => tf.variable(tf.tensor2d(m)));
        const apply = make(vars);
        for (let s = 0; s < 5; s++) tf.tidy(() => apply(vars.map((v, i) => [v, tf.tensor2d(gradsAt(s)[i])])));
        return vars;
      };
      const ours = (): tf.Tensor[] => {
        const adam = new Adam({ learningRate: 0.01 });
        const vars = train(() => (pairs) => adam.apply(pairs));
        adam.dispose();
        return vars;
      };
      const [plain, fast] = await plainAndFast(ours, [ADAM]);
      assertClose(fast, plain);
      const stockVars = train(() => {
        const opt = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
        return (pairs) => opt.applyGradients(pairs.map(([v, g]) => ({ name: v.name, tensor: g })));
      });
      assertClose(fast, await Promise.all(stockVars.map(flat)));
      assert.ok(maxRelError(fast[0], init[0].flat()) > 1e-3, 'the parameters moved');
      tf.dispose(stockVars);
    });

    if (backend === 'wasm') {
      it('Adam on wasm: the SIMD loop equals the JavaScript loop, for sizes with and without a remainder of 4', async () => {
        enableFastPaths();
        const heap = wasmHeap();
        assert.ok(heap, 'the wasm backend exports its memory');
        const update = async (simd: boolean, size: number, gradScale = 1) => {
          assert.equal(useSimdAdam(simd ? heap : undefined), simd, 'WebAssembly SIMD is available');
          const adam = new Adam({ learningRate: 0.01 });
          const v = tf.variable(tf.tensor1d(randomMatrix(1, size, 30 + size)[0]));
          const { used } = dispatched(() => {
            for (let s = 0; s < 3; s++)
              tf.tidy(() => adam.apply([[v, tf.tensor1d(randomMatrix(1, size, 40 + s, gradScale)[0])]]));
          });
          assert.ok(used.has(ADAM), 'the fused Adam kernel ran');
          const out = Array.from(await v.data());
          adam.dispose();
          v.dispose();
          return out;
        };
        for (const size of [1, 3, 4, 7, 1001, 4096]) {
          const js = await update(false, size);
          const simd = await update(true, size);
          assert.ok(scaledError(simd, js) < 1e-6, `size ${size}: ${scaledError(simd, js)}`);
          // The SIMD loop computes in float32, the JavaScript one in float64: identical results from 4096 updates
          // would mean that the SIMD loop never ran.
          if (size === 4096)
            assert.ok(
              simd.some((x, i) => x !== js[i]),
              'the SIMD loop ran (float32 rounding)',
            );
        }
        // Gradients so small that their squares (and soon the moments) would be subnormal: taken as zero by
        // the SIMD loop, which changes the parameters by far less than float32 resolution.
        for (const scale of [1e-20, 1e-30, 1e-40]) {
          const js = await update(false, 1001, scale);
          const simd = await update(true, 1001, scale);
          assert.ok(simd.every(Number.isFinite));
          assert.ok(scaledError(simd, js) < 1e-6, `gradients x${scale}: ${scaledError(simd, js)}`);
        }
      });
    }

    it('Adam: a tensor cloned from a moment keeps its values after later steps (no in-place update)', async () => {
      enableFastPaths();
      assert.ok(tf.getKernel(ADAM, backend), 'the fused Adam kernel is registered: the one that could update in place');
      const v = tf.variable(tf.ones([9]), true, `alias-${backend}`);
      const adam = new Adam({ learningRate: 0.1 });
      const momentOf = () =>
        Object.values(tf.engine().state.registeredVariables).find((x) => x.name.startsWith(`alias-${backend}/adam_m`))!;
      tf.tidy(() => adam.apply([[v, tf.fill([9], 1)]]));
      const before = tf.clone(momentOf()); // shares the buffer on cpu and wasm (Identity does not copy)
      const expected = await flat(before);
      assert.ok(Math.abs(expected[0] - 0.1) < 1e-6, 'm after one step is (1 - beta1) g');
      tf.tidy(() => adam.apply([[v, tf.fill([9], 1)]]));
      assert.deepEqual(await flat(before), expected);
      assert.ok(Math.abs((await flat(momentOf()))[0] - 0.19) < 1e-6, 'the moment itself moved');
      tf.dispose([before, v]);
      adam.dispose();
    });

    it('leaks no tensors', () => {
      enableFastPaths();
      for (const name of FUSED) assert.ok(tf.getKernel(name, backend), `${name} is registered`);
      const x = tf.variable(tf.tensor2d(randomMatrix(8, 16, 9)));
      const gain = tf.variable(tf.ones([16]));
      const bias = tf.variable(tf.zeros([16]));
      const adam = new Adam({ learningRate: 0.01 });
      const step = () =>
        adam
          .minimize(
            () =>
              tf.sum(
                normalizeScaleShift({
                  x,
                  gain: gain as tf.Variable<tf.Rank.R1>,
                  bias: bias as tf.Variable<tf.Rank.R1>,
                  axis: 1,
                  epsilon: 1e-5,
                }),
              ) as tf.Scalar,
            [x, gain, bias],
          )
          .dispose();
      step(); // creates Adam's slots
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      assert.equal(tf.memory().numTensors, before);
      adam.dispose();
      tf.dispose([x, gain, bias]);
    });
  });
}

describe('wasm speed-ups equal the kernels without them', () => {
  before(() => useBackend('wasm'));
  after(() => disableFastPaths());

  const rnd = (shape: number[], seed: number) =>
    tf.tensor(
      randomMatrix(
        1,
        shape.reduce((a, b) => a * b, 1),
        seed,
      )[0],
      shape,
    );
  // [a shape, b shape, transposeA, transposeB]: rank 2 and 3, batch 1 and batched, broadcast, small and large m.
  const cases: [number[], number[], boolean, boolean][] = [];
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      const aShape = (m: number, k: number) => (tA ? [k, m] : [m, k]);
      const bShape = (k: number, n: number) => (tB ? [n, k] : [k, n]);
      cases.push([aShape(4, 300), bShape(300, 200), tA, tB]); // small batch: the swapped route
      cases.push([aShape(300, 40), bShape(40, 50), tA, tB]); // large m: the direct route
      cases.push([[1, ...aShape(5, 7)], [1, ...bShape(7, 3)], tA, tB]); // rank 3, batch 1
      cases.push([[3, ...aShape(5, 7)], [3, ...bShape(7, 3)], tA, tB]); // batched: left to the stock kernel
      cases.push([[2, ...aShape(5, 7)], bShape(7, 3), tA, tB]); // broadcast batch
    }
  }
  for (const [aShape, bShape, tA, tB] of cases) {
    it(`matMul a[${aShape}] b[${bShape}] transposeA=${tA} transposeB=${tB}`, async () => {
      const a = rnd(aShape, 1);
      const b = rnd(bShape, 2);
      const [plain, fast] = await plainAndFast(() => tf.matMul(a, b, tA, tB), ['BatchMatMul']);
      assertClose(fast, plain);
      tf.dispose([a, b]);
    });
  }

  // The reference is unfused: on its slow (transposed or batched) path stock wasm's fused kernel adds the bias
  // once per block of k, at a wrong index, and gets relu wrong (the correctness fix, tested below, runs it unfused
  // there too).
  const activations: Record<string, (x: tf.Tensor, alpha: tf.Tensor) => tf.Tensor> = {
    linear: (x) => x,
    relu: tf.relu,
    relu6: tf.relu6,
    elu: tf.elu,
    sigmoid: tf.sigmoid,
    leakyrelu: (x) => tf.leakyRelu(x, 0.3),
    prelu: (x, alpha) => tf.prelu(x, alpha),
  };
  const fusedCases: [string, boolean, boolean, number][] = [];
  for (const activation of ['linear', 'relu'])
    for (const [tA, tB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ])
      fusedCases.push([activation, tA, tB, 1]);
  for (const activation of Object.keys(activations))
    fusedCases.push([activation, false, false, 2], [activation, true, true, 2]); // batched
  for (const [activation, tA, tB, batch] of fusedCases) {
    it(`fused matMul with bias and ${activation}, transposeA=${tA} transposeB=${tB}${batch > 1 ? `, batch ${batch}` : ''}`, async () => {
      const lead = batch > 1 ? [batch] : [];
      const a = rnd([...lead, ...(tA ? [30, 6] : [6, 30])], 3);
      const b = rnd([...lead, ...(tB ? [20, 30] : [30, 20])], 4);
      const bias = rnd([20], 5);
      const alpha = rnd([20], 6);
      disableFastPaths();
      const offFused = tf.getKernel('_FusedMatMul', 'wasm').kernelFunc;
      const plain = tf.tidy(() => activations[activation](tf.add(tf.matMul(a, b, tA, tB), bias), alpha));
      const reference = [await flat(plain)];
      enableFastPaths();
      const act = activation as tf.fused.Activation;
      const { out, used } = dispatched(() =>
        tf.fused.matMul({
          a,
          b,
          transposeA: tA,
          transposeB: tB,
          bias,
          activation: act,
          preluActivationWeights: alpha,
          leakyreluAlpha: 0.3,
        }),
      );
      const ran = [...(used.get('_FusedMatMul') ?? [])];
      assert.equal(ran.length, 1, 'one _FusedMatMul kernel ran');
      assert.notEqual(ran[0], offFused, 'the routed _FusedMatMul ran, not the one without the speed-ups');
      assertClose([await flat(out)], reference);
      tf.dispose([a, b, bias, alpha, plain, out]);
    });
  }

  it('matMul gradients (which ask for transposed products) are unchanged', async () => {
    const a = rnd([6, 40], 6);
    const b = rnd([40, 30], 7);
    const dy = rnd([6, 30], 8);
    const [plain, fast] = await plainAndFast(
      () => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y))([a, b], dy),
      ['BatchMatMul'],
    );
    assertClose(fast, plain);
  });

  it('picks the swapped route only where it moves fewer elements', () => {
    const dx = strategyCosts(128, 1000, 1000, false, true); // dy W^T at batch 128
    assert.ok(dx.swapped < dx.direct);
    const dW = strategyCosts(784, 128, 1000, true, false); // x^T dy
    assert.ok(dW.direct < dW.swapped);
    const evalForward = strategyCosts(1000, 784, 1000, false, false);
    assert.ok(evalForward.direct < evalForward.swapped);
  });

  it('identity shares memory and keeps values after the original is disposed', async () => {
    enableFastPaths();
    const x = rnd([50, 20], 9);
    const expected = await flat(x);
    const buffers = () => tf.engine().backend.numDataIds();
    const before = buffers();
    const y = tf.clone(x);
    assert.equal(buffers(), before, 'no copy');
    x.dispose();
    assert.deepEqual(await flat(y), expected);
    y.dispose();
  });

  it("slice and split give the stock kernels' values: contiguous (rows) and not (columns, a 3-d block), int32 too", async () => {
    const x = rnd([6, 5, 4], 11);
    const ints = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32');
    const ops = (): tf.Tensor[] => [
      tf.slice(x, [2, 0, 0], [3, -1, -1]), // rows: contiguous
      tf.slice(x, [1, 0, 0], [1, 2, 4]), // contiguous inside one row
      tf.slice(x, [0, 1, 1], [4, 3, 2]), // a block: not contiguous
      tf.slice(x, [5, 0, 0], [0, 5, 4]), // empty
      ...tf.split(x, [1, 3, 2], 0),
      ...tf.split(x, 5, 1), // columns: not contiguous
      ...tf.split(x, [3, -1], 2),
      tf.slice(ints, [1, 0], [2, 2]),
    ];
    const values = async (fastPaths: boolean) => {
      if (fastPaths) enableFastPaths();
      else disableFastPaths();
      const out = ops();
      const read = await Promise.all(out.map(async (t) => ({ shape: t.shape, dtype: t.dtype, values: await flat(t) })));
      tf.dispose(out);
      return read;
    };
    const stock = await values(false);
    assert.deepEqual(await values(true), stock);
    const y = tf.slice(x, [2, 0, 0], [1, -1, -1]);
    tf.dispose([x, ints]); // the slice is a copy, not a view of x
    assert.deepEqual(await flat(y), stock[0].values.slice(0, 20));
    y.dispose();
  });
});

describe('wasm correctness fix: with the fast paths off, fused products equal the cpu backend', () => {
  before(() => useBackend('wasm'));
  after(() => useBackend('wasm'));

  it('choosing the wasm backend installs it before any kernel runs, with no fast-path call (a fresh process)', () => {
    const script = `
      const tf = require('@tensorflow/tfjs');
      require('./dist/src/backend/select').selectBackend('wasm').then(() => {
        const { fixedFusedMatMul } = require('./dist/src/backend/kernels/wasm-fixes');
        const random = (shape, seed) => tf.randomNormal(shape, 0, 1, 'float32', seed);
        const [a, b, bias] = [random([100, 6], 1), random([100, 20], 2), random([20], 3)];
        const fused = tf.fused.matMul({ a, b, transposeA: true, bias, activation: 'relu' });
        const plain = tf.relu(tf.add(tf.matMul(a, b, true, false), bias));
        console.log(JSON.stringify({
          fixed: tf.getKernel('_FusedMatMul', 'wasm').kernelFunc === fixedFusedMatMul,
          conv: Boolean(tf.getKernel('Conv2DBackpropFilter', 'wasm')),
          error: tf.max(tf.abs(tf.sub(fused, plain))).dataSync()[0],
        }));
      });`;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!);
    assert.deepEqual(out, { fixed: true, conv: true, error: out.error });
    assert.ok(out.error < 1e-4, `a transposed _FusedMatMul with bias and relu is off by ${out.error}`);
  });

  // k = 100 spans several of the stock loop's blocks of k, where it applied relu to each block's partial sum; a
  // bias alone shows its other bug (added per block, at a wrong index).
  const cases: { name: string; a: number[]; b: number[]; tA: boolean; tB: boolean; bias: boolean; act: string }[] = [
    { name: 'transposed a', a: [100, 6], b: [100, 20], tA: true, tB: false, bias: true, act: 'relu' },
    { name: 'transposed b', a: [6, 100], b: [20, 100], tA: false, tB: true, bias: true, act: 'relu' },
    { name: 'both transposed', a: [100, 6], b: [20, 100], tA: true, tB: true, bias: true, act: 'relu6' },
    { name: 'batched', a: [2, 6, 100], b: [2, 100, 20], tA: false, tB: false, bias: true, act: 'relu' },
    { name: 'batched, transposed', a: [2, 100, 6], b: [2, 20, 100], tA: true, tB: true, bias: true, act: 'relu' },
    { name: 'batch broadcast', a: [3, 6, 100], b: [100, 20], tA: false, tB: false, bias: true, act: 'relu' },
    { name: 'transposed, bias only', a: [100, 6], b: [100, 20], tA: true, tB: false, bias: true, act: 'linear' },
    { name: 'batched, relu only', a: [2, 6, 100], b: [2, 100, 20], tA: false, tB: false, bias: false, act: 'relu' },
  ];
  const size = (shape: number[]) => shape.reduce((x, y) => x * y, 1);

  for (const c of cases) {
    it(`${c.name}: a[${c.a}] b[${c.b}]${c.bias ? ' with bias' : ''}, ${c.act}`, async () => {
      const values = [randomMatrix(1, size(c.a), 11)[0], randomMatrix(1, size(c.b), 12)[0], randomMatrix(1, 20, 13)[0]];
      const product = () =>
        tf.tidy(() =>
          tf.fused.matMul({
            a: tf.tensor(values[0], c.a),
            b: tf.tensor(values[1], c.b),
            transposeA: c.tA,
            transposeB: c.tB,
            bias: c.bias ? tf.tensor1d(values[2]) : undefined,
            activation: c.act as tf.fused.Activation,
          }),
        );
      await useBackend('wasm');
      disableFastPaths();
      const { out, used } = dispatched(product);
      const wasm = await flat(out);
      out.dispose();
      await useBackend('cpu');
      const onCpu = product();
      const cpu = await flat(onCpu);
      onCpu.dispose();
      if (c.act !== 'linear') assert.ok(cpu.some((v) => v > 0) && cpu.includes(0), 'relu clips some outputs, not all');
      assertClose([wasm], [cpu]);
      assert.deepEqual([...(used.get('_FusedMatMul') ?? [])], [fixedFusedMatMul], 'the fixed _FusedMatMul ran');
    });
  }
});
