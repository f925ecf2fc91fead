// Every tfjs internal of src/backend/internals.ts does, on the installed tfjs, what ln-repro relies on (on cpu, wasm
// and webgpu where it applies), and the version check fails, saying what to do, on another version: the tests to
// run first on a tfjs upgrade.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, installKernelFixes } from '../src/backend/fast';
import { recordingGradients, tidyUnlessRecording } from '../src/backend/gradients';
import {
  assertPinnedVersions,
  checkVersions,
  cpuBackend,
  customOp,
  gradientDepth,
  installedVersions,
  PINNED,
  PinnedVersionError,
  runStockWasm,
  setWasmKernel,
  stockWasmKernel,
  wasmBackend,
  wasmHeap,
  webgpuBackend,
} from '../src/backend/internals';
import { useSimdAdam } from '../src/backend/kernels/adam';
import { registerJsKernel, runKernel, unregisterJsKernel, type JsKernel } from '../src/backend/kernels/js-kernel';
import { fixedFusedMatMul } from '../src/backend/kernels/wasm-fixes';
import { deviceIdle, dispatch, gridFor, type Shader } from '../src/backend/kernels/webgpu/dispatch';
import { requireOptional } from '../src/backend/optional';
import { selectBackend, type BackendLoader, type BackendName } from '../src/backend/select';
import { UserError } from '../src/errors';
import { useBackend } from './helpers';

const ROOT = join(__dirname, '..', '..');
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
const WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';
const flat = async (t: tf.Tensor) => Array.from(await t.data());

/** What a PinnedVersionError must say: the package and its version, the pinned one, and what to do. */
function assertMismatch(f: () => void, pkg: string, version: string) {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof PinnedVersionError && e instanceof UserError, `${String(e)} is a PinnedVersionError`);
    for (const part of [
      `${pkg} ${version} installed`,
      PINNED,
      'npm ci',
      'package-lock.json',
      'src/backend/internals.ts',
    ])
      assert.ok(e.message.includes(part), `"${e.message}" says ${part}`);
    return true;
  });
}

/** Sets `obj[key]` to `value` while `f` runs. */
function faking<T extends object>(obj: T, key: keyof T, value: T[keyof T], f: () => void) {
  const real = obj[key];
  obj[key] = value;
  try {
    f();
  } finally {
    obj[key] = real;
  }
}

/** Runs `script` in a fresh node process at the repository root; returns what it prints as JSON. */
function inFreshProcess(script: string): Record<string, unknown> {
  const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').pop()!);
}

describe('tfjs versions', () => {
  before(() => useBackend('wasm'));

  it('the installed tfjs and tfjs-backend-wasm are PINNED, the versions package.json pins', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    for (const name of ['@tensorflow/tfjs', WASM_PACKAGE]) assert.equal(pkg.dependencies[name], PINNED, name);
    assert.equal(pkg.optionalDependencies[WEBGPU_PACKAGE], PINNED, WEBGPU_PACKAGE);
    const found = installedVersions('wasm');
    assert.deepEqual(Object.keys(found).sort(), [
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-backend-cpu',
      WASM_PACKAGE,
      '@tensorflow/tfjs-core',
    ]);
    for (const [name, version] of Object.entries(found)) assert.equal(version, PINNED, name);
    for (const backend of ['cpu', 'wasm', 'tensorflow'] as const) assertPinnedVersions(backend);
  });

  it('another version fails with the package, both versions and what to do; only for a backend in use', () => {
    faking(tf.version, 'tfjs', '4.23.0', () =>
      assertMismatch(() => assertPinnedVersions('cpu'), '@tensorflow/tfjs', '4.23.0'),
    );
    faking(tf.version, 'tfjs-core', '4.21.0', () =>
      assertMismatch(() => assertPinnedVersions('tensorflow'), '@tensorflow/tfjs-core', '4.21.0'),
    );
    const wasmModule = requireOptional(WASM_PACKAGE) as { version_wasm: string }; // as internals.ts reads it
    faking(wasmModule, 'version_wasm', '4.23.0', () => {
      assertMismatch(() => assertPinnedVersions('wasm'), WASM_PACKAGE, '4.23.0');
      assertPinnedVersions('cpu'); // the wasm package is not checked for another backend
    });
    assert.doesNotThrow(() => checkVersions({ a: PINNED, b: PINNED }));
    assert.throws(
      () => checkVersions({ a: '1.0.0', b: PINNED, c: '5.0.0' }),
      /mismatch: a 1\.0\.0, c 5\.0\.0 installed, but/,
    );
  });

  it('selection stops at another version instead of falling back to the next backend', async () => {
    const tried: string[] = [];
    const loader =
      (name: BackendName): BackendLoader =>
      () => {
        tried.push(name);
        return name === 'wasm' ? Promise.reject(new PinnedVersionError('installed: x')) : Promise.resolve();
      };
    const loaders = {
      tensorflow: loader('tensorflow'),
      webgpu: loader('webgpu'),
      wasm: loader('wasm'),
      cpu: loader('cpu'),
    };
    loaders.tensorflow = () => Promise.reject(new Error('not installed'));
    await assert.rejects(selectBackend('auto', loaders), PinnedVersionError);
    assert.deepEqual(tried, ['wasm'], 'cpu was not tried');
  });

  it('each access checks its versions before it touches anything (a fresh process)', () => {
    const out = inFreshProcess(`
      const tf = require('@tensorflow/tfjs');
      const wasm = require('${WASM_PACKAGE}');
      const src = './dist/src/backend/';
      const attempt = (f) => { try { f(); return 'ran'; } catch (e) { return e.name + ': ' + e.message; } };
      const out = {};
      tf.version.tfjs = '4.23.0';
      out.gradients = attempt(() => require(src + 'gradients').recordingGradients());
      tf.version.tfjs = '${PINNED}';
      wasm.version_wasm = '4.23.0';
      const stock = tf.getKernel('_FusedMatMul', 'wasm').kernelFunc;
      out.fixes = attempt(() => require(src + 'fast').installKernelFixes());
      out.untouched = tf.getKernel('_FusedMatMul', 'wasm').kernelFunc === stock;
      out.cpu = attempt(() => require(src + 'internals').assertPinnedVersions('cpu'));
      out.gradientsAgain = attempt(() => require(src + 'gradients').recordingGradients());
      console.log(JSON.stringify(out));
    `);
    assert.match(
      String(out.gradients),
      /^PinnedVersionError: tfjs version mismatch: @tensorflow\/tfjs 4\.23\.0 installed.*npm ci/,
    );
    assert.match(
      String(out.fixes),
      /^PinnedVersionError: tfjs version mismatch: @tensorflow\/tfjs-backend-wasm 4\.23\.0 installed/,
    );
    assert.equal(out.untouched, true, 'the stock _FusedMatMul was not replaced');
    assert.equal(out.cpu, 'ran', 'the wasm version does not concern the cpu backend');
    assert.equal(out.gradientsAgain, 'ran', 'nor the engine');
  });
});

/** A JavaScript kernel with two outputs: 2x + 1 and x * x. */
const affine: JsKernel<Record<string, never>> = {
  name: 'LnReproTestAffine',
  inputs: ['x'],
  outputShapes: ([shape]) => [shape, shape],
  compute([x], [y, z]) {
    for (let i = 0; i < x.length; i++) [y[i], z[i]] = [2 * x[i] + 1, x[i] * x[i]];
  },
};

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`internals on ${backend}`, () => {
    before(() => useBackend(backend));
    after(() => unregisterJsKernel(affine.name));

    it('gradient depth: 0 outside, raised inside tf.grads, tf.variableGrads and an optimizer, nested too', () => {
      const depths: number[] = [];
      const probe = (x: tf.Tensor) => (depths.push(gradientDepth()), tf.sum(tf.square(x)));
      const x = tf.variable(tf.tensor1d([1, 2, 3]));
      assert.equal(recordingGradients(), false);
      tf.tidy(() => tf.grad(probe)(x));
      tf.tidy(() => tf.variableGrads(() => probe(x) as tf.Scalar));
      tf.train.sgd(0.1).minimize(() => probe(x) as tf.Scalar);
      tf.tidy(() => tf.grad((y: tf.Tensor) => tf.sum(tf.grad(probe)(y)))(x));
      assert.deepEqual(depths, [1, 1, 1, 2]);
      assert.equal(gradientDepth(), 0);
      x.dispose();
    });

    it('tidyUnlessRecording frees a step intermediates outside a gradient and keeps them inside', () => {
      const x = tf.tensor1d([1, 2, 3]);
      const intermediates = (input: tf.Tensor) => {
        const before = tf.memory().numTensors;
        const y = tidyUnlessRecording(() => tf.exp(tf.neg(tf.square(input))));
        return { kept: tf.memory().numTensors - before - 1, y };
      };
      const outside = intermediates(x);
      assert.equal(outside.kept, 0, 'freed');
      outside.y.dispose();
      tf.tidy(() =>
        tf.grad((v: tf.Tensor) => {
          const inside = intermediates(v);
          assert.ok(inside.kept >= 2, `square and neg kept for the backward pass (${inside.kept} tensors)`);
          return tf.sum(inside.y);
        })(x),
      );
      x.dispose();
    });

    it(`a JavaScript kernel reads and writes the ${backend} backend memory in place`, async () => {
      registerJsKernel(affine as Parameters<typeof registerJsKernel>[0], [backend]);
      const x = tf.tensor2d([1, -2, 3, 0.5, 7, -1], [2, 3]);
      const [y, z] = runKernel(affine.name, { x }, {});
      assert.deepEqual(y.shape, [2, 3]);
      assert.deepEqual(await flat(y), [3, -3, 7, 2, 15, -1]);
      assert.deepEqual(await flat(z), [1, 4, 9, 0.25, 49, 1]);
      if (backend === 'cpu') {
        const read = cpuBackend(tf.backend()).readSync(x.dataId);
        assert.ok(read instanceof Float32Array && read === cpuBackend(tf.backend()).readSync(x.dataId), 'in place');
      } else {
        const be = wasmBackend(tf.backend());
        const view = be.typedArrayFromHeap(x);
        assert.ok(view instanceof Float32Array && view.buffer === wasmHeap()?.buffer, 'a view of the wasm heap');
        assert.deepEqual(Array.from(view), [1, -2, 3, 0.5, 7, -1]);
        const out = be.makeOutput([4, 5], 'float32');
        assert.deepEqual([out.shape, out.dtype, be.typedArrayFromHeap(out).length], [[4, 5], 'float32', 20]);
        tf.backend().disposeData(out.dataId);
      }
      tf.dispose([x, y, z]);
    });

    it('customOp: several outputs, a gradient of our own for each input, saved tensors freed after it', async () => {
      // outputs (a b, a + b); gradients by hand: d/da = dy1 b + dy2, d/db = dy1 a + dy2.
      const op = (a: tf.Tensor, b: tf.Tensor) =>
        customOp(
          [a, b],
          (save) => {
            save([a, b]);
            const scratch = tf.mul(a, 3); // freed with the forward pass's tidy
            void scratch;
            return [tf.mul(a, b), tf.add(a, b)];
          },
          ([d1, d2], [sa, sb]) => [tf.add(tf.mul(d1, sb), d2), tf.add(tf.mul(d1, sa), d2)],
        );
      const a = tf.tensor1d([1, 2, 3]);
      const b = tf.tensor1d([-1, 0.5, 4]);
      const before = tf.memory().numTensors;
      const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => {
        const [p, q] = op(x, y);
        return tf.add(tf.sum(tf.mul(p, 2)), tf.sum(q));
      })([a, b]);
      assert.deepEqual(await flat(ga), [-1, 2, 9]); // 2 b + 1
      assert.deepEqual(await flat(gb), [3, 5, 7]); // 2 a + 1
      assert.equal(tf.memory().numTensors, before + 2, 'the two gradients only: saved tensors and scratch freed');
      const [p] = op(a, b); // outside a gradient nothing is saved
      assert.deepEqual(await flat(p), [-1, 1, 12]);
      assert.equal(tf.memory().numTensors, before + 4);
      tf.dispose([a, b, ga, gb]);
    });
  });
}

describe('internals on wasm: heap and stock kernels', () => {
  before(async () => {
    await useBackend('wasm');
    installKernelFixes();
  });
  after(() => disableFastPaths());

  it('the heap is the wasm module memory, on which the SIMD Adam loop runs', () => {
    const heap = wasmHeap();
    assert.ok(heap && heap.buffer.byteLength > 0, 'the wasm backend exports its memory');
    assert.equal(useSimdAdam(heap), true, 'instantiated on it');
    useSimdAdam(undefined);
  });

  it('the stock kernels stay reachable after ours replace them, and compute right where the fix relies on them', () => {
    const stock = stockWasmKernel('_FusedMatMul');
    const registered = tf.getKernel('_FusedMatMul', 'wasm');
    assert.equal(registered.kernelFunc, fixedFusedMatMul, 'the fix is installed');
    assert.notEqual(stock.kernelFunc, fixedFusedMatMul, 'the stock kernel is kept');
    assert.ok(stock.setupFunc && registered.setupFunc === stock.setupFunc, 'the replacement keeps the stock setup');
    const be = tf.backend();
    // Rank 3, as the ops hand products to these kernels.
    const a = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 2, 3]);
    const b = tf.tensor3d([1, 0, -1, 2, 0.5, 1], [1, 3, 2]);
    const bias = tf.tensor1d([10, -20]);
    const read = (info: tf.TensorInfo) => {
      const values = Array.from(wasmBackend(be).typedArrayFromHeap(info));
      be.disposeData(info.dataId);
      return values;
    };
    // [[1,2,3],[4,5,6]] x [[1,0],[-1,2],[0.5,1]] = [[0.5,7],[2,16]]; XNNPACK's fused path, + bias, relu.
    const fused = runStockWasm(
      '_FusedMatMul',
      be,
      { a, b, bias },
      { transposeA: false, transposeB: false, activation: 'relu' },
    );
    assert.deepEqual(read(fused), [10.5, 0, 12, 0]);
    const product = runStockWasm('BatchMatMul', be, { a: b, b: a }, { transposeA: true, transposeB: true });
    assert.deepEqual(read(product), [0.5, 2, 7, 16], 'the transposed loop (b^T a^T = (ab)^T) is right');
    assert.deepEqual(read(runStockWasm('Transpose', be, { x: a }, { perm: [0, 2, 1] })), [1, 4, 2, 5, 3, 6]);
    tf.dispose([a, b, bias]);
  });

  it('setWasmKernel replaces a kernel and puts another back; stockWasmKernel still returns the stock one', async () => {
    const stockNeg = stockWasmKernel('Neg');
    const x = tf.tensor1d([1, -2]);
    setWasmKernel('Neg', (args) => runStockWasm('Abs', args.backend as tf.KernelBackend, args.inputs));
    assert.deepEqual(await flat(tf.neg(x)), [1, 2], 'the replacement ran');
    setWasmKernel('Neg', stockNeg.kernelFunc);
    assert.deepEqual(await flat(tf.neg(x)), [-1, 2], 'the stock kernel is back');
    assert.equal(stockWasmKernel('Neg'), stockNeg);
    x.dispose();
  });
});

/** x * scale() + f32(n) and x, over `size` elements: two outputs, an integer input and a parameter. */
function testShader(size: number): Shader {
  const code = `const SIZE = ${size}u;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= SIZE) { return; }
  y[i] = x[i] * scale() + f32(n[i]);
  z[i] = x[i];
}`;
  return {
    key: `ln-repro-test-${size}`,
    inputs: ['x', 'n'],
    integerInputs: ['n'],
    outputs: ['y', 'z'],
    params: ['scale'],
    code,
    grid: gridFor(Math.ceil(size / 64)),
  };
}

describe('internals on webgpu', () => {
  let unavailable: string | undefined;
  const skipped = (t: TestContext) => {
    if (unavailable) t.skip(`no WebGPU adapter here: ${unavailable}`);
    return Boolean(unavailable);
  };
  before(async () => {
    try {
      await useBackend('webgpu');
    } catch (err) {
      unavailable = (err as Error).message;
    }
  });
  after(() => {
    if (tf.getKernel('LnReproTestShader', 'webgpu')) tf.unregisterKernel('LnReproTestShader', 'webgpu');
  });

  it('gradient depth is the engine own, on webgpu too', (t) => {
    if (skipped(t)) return;
    const depths: number[] = [];
    tf.tidy(() => tf.grad((x: tf.Tensor) => (depths.push(gradientDepth()), tf.sum(x)))(tf.ones([2])));
    assert.deepEqual([depths, gradientDepth()], [[1], 0]);
  });

  it('a dispatch binds outputs, inputs (an int32 one) and a parameter, and is recorded in order', async (t) => {
    if (skipped(t)) return;
    const size = 37; // past llvmpipe's 8 lanes
    tf.registerKernel({
      kernelName: 'LnReproTestShader',
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend }) =>
        dispatch(webgpuBackend(backend), testShader(size), [inputs.x!, inputs.n!], [[size], [size]], [3]),
    });
    const xs = Array.from({ length: size }, (_, i) => i / 4);
    const x = tf.tensor1d(xs);
    const n = tf.tensor1d(
      xs.map((_, i) => i % 5),
      'int32',
    );
    const view = webgpuBackend(tf.backend());
    assert.equal(view.bufferType(n), 'int32');
    await deviceIdle();
    assert.equal(view.pending(), false, 'nothing held back after deviceIdle');
    const [y, z] = runKernel('LnReproTestShader', { x, n }, {});
    assert.equal(view.pending(), true, 'recorded, not yet submitted');
    await view.idle();
    assert.equal(view.pending(), false, 'submitted');
    assert.deepEqual(
      await flat(y),
      xs.map((v, i) => v * 3 + (i % 5)),
    );
    assert.deepEqual(await flat(z), xs);
    tf.dispose([x, n, y, z]);
  });

  it('the installed tfjs-backend-webgpu is PINNED; another version fails, and only for webgpu', (t) => {
    if (skipped(t)) return;
    assert.equal(installedVersions('webgpu')[WEBGPU_PACKAGE], PINNED);
    // What internals.ts reads.
    const manifest = requireOptional(`${WEBGPU_PACKAGE}/package.json`) as { version: string };
    faking(manifest, 'version', '4.23.0', () => {
      assertMismatch(() => assertPinnedVersions('webgpu'), WEBGPU_PACKAGE, '4.23.0');
      assertPinnedVersions('wasm');
    });
  });
});
