// The WebGPU backend on this machine's software adapter (Dawn's OpenGL ES backend on Mesa llvmpipe): --backend
// webgpu takes it and says so, training and evaluation run there without a synchronous read, and the metrics
// match the cpu backend's up to float32 rounding, with the fused WebGPU kernels (norm, Adam, loss) in the step.
// CI has no GPU: this is where every WebGPU path is exercised.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend/select';
import { currentAdapter } from '../src/backend/webgpu';
import { enableFastPaths } from '../src/backend/fast';
import { webgpuBackend } from '../src/backend/internals';
import { ADAM } from '../src/backend/kernels/adam';
import { deviceIdle } from '../src/backend/kernels/webgpu/dispatch';
import { NORMALIZE, NORMALIZE_GRAD } from '../src/backend/kernels/normalize';
import { SOFTMAX_CE, SOFTMAX_CE_GRAD } from '../src/metrics/classification';
import { assertTrainsAsOnCpu } from './helpers';

describe('webgpu backend (software adapter)', () => {
  before(async () => {
    const choice = await selectBackend('webgpu');
    assert.equal(choice.name, 'webgpu');
    assert.equal(tf.getBackend(), 'webgpu');
    enableFastPaths(); // as `ln-repro run` does
  });

  it('is the adapter --backend webgpu finds here, named and marked software', () => {
    const adapter = currentAdapter();
    assert.ok(adapter, 'an adapter is recorded');
    assert.equal(adapter.software, true, `${JSON.stringify(adapter)} is a software rasterizer`);
  });

  it('dataSync throws under Node (OffscreenCanvas), which is why training reads asynchronously', () => {
    // Large enough to be computed on the device (tfjs-webgpu hands small ops to the CPU).
    const x = tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])));
    assert.throws(() => x.dataSync(), /OffscreenCanvas/);
    x.dispose();
  });

  it('deviceIdle (what bench waits on) submits the work tfjs-webgpu holds back for its next batch', async () => {
    const backend = webgpuBackend(tf.backend());
    const x = tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])));
    assert.ok(backend.pending(), 'the product is recorded, not yet submitted');
    await deviceIdle();
    assert.equal(backend.pending(), false, 'submitted');
    x.dispose();
  });

  const VIEW: Record<string, string> = { mlp: 'flat', rnn: 'rows', retrieval: 'strips' };
  for (const model of [
    { kind: 'mlp', hidden: [16, 12], norm: 'layer' },
    { kind: 'mlp', hidden: [16, 12], norm: 'batch' },
    { kind: 'rnn', cell: 'lstm', hidden: 8, norm: 'layer' },
    { kind: 'retrieval', embedDim: 8, wordDim: 4, norm: 'layer' },
  ]) {
    it(`${model.kind} ${model.norm}: trains and evaluates as on the cpu backend`, () =>
      assertTrainsAsOnCpu(model, VIEW[model.kind], [
        ADAM,
        NORMALIZE,
        NORMALIZE_GRAD,
        ...(model.kind === 'retrieval' ? [] : [SOFTMAX_CE, SOFTMAX_CE_GRAD]),
      ]));
  }
});
