// Backend choice: auto falls back tensorflow -> wasm -> cpu; a named backend that cannot load is a user error.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_LOADERS, selectBackend, type BackendLoader, type BackendName } from '../src/backend/select';
import { UserError } from '../src/errors';

function loaders(available: BackendName[], calls: string[] = []): Record<BackendName, BackendLoader> {
  const make =
    (name: BackendName): BackendLoader =>
    () => {
      calls.push(name);
      if (!available.includes(name)) return Promise.reject(new Error(`Cannot find module for ${name}\nstack...`));
      return Promise.resolve();
    };
  return { tensorflow: make('tensorflow'), wasm: make('wasm'), cpu: make('cpu') };
}

describe('backend selection', () => {
  it('auto takes tensorflow (CUDA) when it loads', async () => {
    const calls: string[] = [];
    const choice = await selectBackend('auto', loaders(['tensorflow', 'wasm', 'cpu'], calls));
    assert.equal(choice.name, 'tensorflow');
    assert.deepEqual(calls, ['tensorflow']);
  });

  it('auto falls back to wasm, then cpu, saying why', async () => {
    const wasm = await selectBackend('auto', loaders(['wasm', 'cpu']));
    assert.equal(wasm.name, 'wasm');
    assert.deepEqual(wasm.skipped, [{ name: 'tensorflow', reason: 'Cannot find module for tensorflow' }]);
    assert.equal((await selectBackend('auto', loaders(['cpu']))).name, 'cpu');
  });

  it('a requested backend that cannot load is a user error; tensorflow says how to install it', async () => {
    await assert.rejects(
      selectBackend('tensorflow', loaders(['wasm', 'cpu'])),
      (e: unknown) =>
        e instanceof UserError && /tfjs-node-gpu@4\.22\.0/.test(e.message) && /CUDA 11\.2/.test(e.message),
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
