// Backend choice: auto falls back tensorflow -> wasm -> cpu (webgpu only when asked for, until it is measured
// faster than wasm); a named backend that cannot load is a user error; which WebGPU adapters are taken.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_LOADERS, selectBackend, type BackendLoader, type BackendName } from '../src/backend/select';
import { acceptsAdapter, describeAdapter } from '../src/backend/webgpu';
import { UserError } from '../src/errors';

function loaders(available: BackendName[], calls: string[] = []): Record<BackendName, BackendLoader> {
  const make =
    (name: BackendName): BackendLoader =>
    (request) => {
      calls.push(`${name}(${request})`);
      if (!available.includes(name)) return Promise.reject(new Error(`Cannot find module for ${name}\nstack...`));
      return Promise.resolve();
    };
  return { tensorflow: make('tensorflow'), webgpu: make('webgpu'), wasm: make('wasm'), cpu: make('cpu') };
}

describe('backend selection', () => {
  it('auto takes tensorflow (CUDA) when it loads', async () => {
    const calls: string[] = [];
    const choice = await selectBackend('auto', loaders(['tensorflow', 'wasm', 'cpu'], calls));
    assert.equal(choice.name, 'tensorflow');
    assert.deepEqual(calls, ['tensorflow(auto)']);
  });

  it('auto falls back to wasm, then cpu, saying why, and does not try webgpu', async () => {
    const calls: string[] = [];
    assert.equal((await selectBackend('auto', loaders(['webgpu', 'wasm'], calls))).name, 'wasm');
    assert.deepEqual(calls, ['tensorflow(auto)', 'wasm(auto)']);
    const wasm = await selectBackend('auto', loaders(['wasm', 'cpu']));
    assert.equal(wasm.name, 'wasm');
    assert.deepEqual(wasm.skipped, [{ name: 'tensorflow', reason: 'Cannot find module for tensorflow' }]);
    assert.equal((await selectBackend('auto', loaders(['cpu']))).name, 'cpu');
    const named: string[] = [];
    await selectBackend('webgpu', loaders(['webgpu'], named));
    assert.deepEqual(named, ['webgpu(webgpu)'], '--backend webgpu tries webgpu alone, as itself');
  });

  it('a requested backend that cannot load is a user error; tensorflow says how to install it', async () => {
    await assert.rejects(
      selectBackend('tensorflow', loaders(['wasm', 'cpu'])),
      (e: unknown) =>
        e instanceof UserError && /tfjs-node-gpu@4\.22\.0/.test(e.message) && /CUDA 11\.2/.test(e.message),
    );
    await assert.rejects(
      selectBackend('webgpu', loaders(['wasm', 'cpu'])),
      (e: unknown) =>
        e instanceof UserError && /--backend webgpu: cannot load/.test(e.message) && /OpenGL ES/.test(e.message),
    );
    await assert.rejects(
      selectBackend('wasm', loaders(['cpu'])),
      (e: unknown) => e instanceof UserError && /--backend wasm/.test(e.message),
    );
    await assert.rejects(selectBackend('auto', loaders([])), UserError);
  });

  it('auto picks, for real, tensorflow where tfjs-node-gpu loads, else wasm, saying why', async () => {
    // Whether tfjs-node-gpu loads depends on the machine (installed, CUDA libraries): ask it, as the loader does.
    let gpuError: string | undefined;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-node-gpu');
    } catch (err) {
      gpuError = (err as Error).message.split('\n')[0];
    }
    const choice = await selectBackend('auto', DEFAULT_LOADERS);
    if (gpuError === undefined) assert.deepEqual(choice, { name: 'tensorflow', skipped: [] });
    else assert.deepEqual(choice, { name: 'wasm', skipped: [{ name: 'tensorflow', reason: gpuError }] });
    assert.equal(tf.getBackend(), choice.name, 'the chosen backend is the current one');
  });
});

describe('WebGPU adapters', () => {
  const adapter = (device: string, description: string, vendor = '', fallback?: boolean) => ({
    info: { vendor, architecture: '', device, description },
    isFallbackAdapter: fallback,
  });

  it('names llvmpipe, lavapipe and SwiftShader software (Dawn does not flag llvmpipe), and auto refuses them', () => {
    const llvmpipe = describeAdapter(
      adapter('llvmpipe-llvm-15-0-6-256-bits-', 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6'),
      'opengles',
    );
    assert.equal(llvmpipe.software, true);
    assert.equal(acceptsAdapter(llvmpipe, 'auto'), false);
    assert.equal(acceptsAdapter(llvmpipe, 'webgpu'), true, '--backend webgpu takes what there is');
    for (const [device, description] of [
      ['lavapipe', 'Mesa 22.3.6 (LLVM 15.0.6)'],
      ['SwiftShader Device (Subzero)', 'SwiftShader driver'],
    ]) {
      const info = describeAdapter(adapter(device, description), 'default');
      assert.equal(info.software, true, device);
      assert.equal(acceptsAdapter(info, 'auto'), false, device);
    }
    assert.equal(describeAdapter(adapter('gpu', 'some driver', 'x', true), 'default').software, true, 'flagged');
  });

  it('auto takes a hardware adapter of a default backend, never the OpenGL ES fallback', () => {
    const h200 = describeAdapter(adapter('NVIDIA H200', 'NVIDIA driver 580', 'nvidia'), 'default');
    assert.equal(h200.software, false);
    assert.equal(acceptsAdapter(h200, 'auto'), true);
    const gles = describeAdapter(adapter('NVIDIA H200', 'OpenGL ES 3.2 NVIDIA', 'nvidia'), 'opengles');
    assert.equal(acceptsAdapter(gles, 'auto'), false);
  });
});
