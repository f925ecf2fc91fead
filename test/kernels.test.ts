// Kernels per training step (bench's `kernels` columns), counted by tf.profile on wasm and webgpu: what the fast paths save,
// Identity and Reshape left out. The counts are tfjs 4.22's for these models; a change means the step changed.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { enableFastPaths } from '../src/backend/fast';
import { cellStepKernels, mlpStepKernels } from '../src/bench/kernels';
import { useBackend } from './helpers';

describe('kernels per step [wasm]', () => {
  before(async () => {
    await useBackend('wasm');
    enableFastPaths();
  });

  it('MLP step: 56 kernels with layer norm on the fast paths, 200 without; as many at batch 4 as at 128', async () => {
    const before = tf.memory().numTensors;
    assert.deepEqual(await mlpStepKernels('layer', 4), { kernels: 56, composite: 200 });
    assert.deepEqual(await mlpStepKernels('none', 4), { kernels: 52, composite: 130 });
    assert.deepEqual(await mlpStepKernels('batch', 4), { kernels: 70, composite: 214 });
    assert.deepEqual(await mlpStepKernels('layer', 128), { kernels: 56, composite: 200 });
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  });

  it('LN-LSTM step (28 steps): 165 kernels with the fused cells (target: at most 300), 1,850 op by op', async () => {
    const before = tf.memory().numTensors;
    assert.deepEqual(await cellStepKernels('lstm', 'layer', 2), { kernels: 165, composite: 1850 });
    assert.deepEqual(await cellStepKernels('lstm', 'none', 2), { kernels: 158, composite: 1430 });
    assert.deepEqual(await cellStepKernels('lstm', 'batch', 2), { kernels: 163, composite: 2099 });
    assert.deepEqual(await cellStepKernels('gru', 'layer', 2), { kernels: 172, composite: 1904 });
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  });
});

describe('kernels per step [webgpu]', () => {
  before(async () => {
    await useBackend('webgpu');
    enableFastPaths();
  });

  it('MLP step: 35 kernels with layer norm on the fused WebGPU kernels (target: at most 40), 200 without', async () => {
    const before = tf.memory().numTensors;
    const layer = await mlpStepKernels('layer', 128);
    assert.ok(layer.kernels <= 40, `${layer.kernels} kernels`);
    assert.deepEqual(layer, { kernels: 35, composite: 200 });
    assert.deepEqual(await mlpStepKernels('layer', 4), { kernels: 35, composite: 200 });
    assert.deepEqual(await mlpStepKernels('none', 128), { kernels: 31, composite: 130 });
    assert.deepEqual(await mlpStepKernels('batch', 128), { kernels: 49, composite: 214 });
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  });

  it('LN-LSTM step: op by op on webgpu (the fused cells have no WGSL kernels yet), at most 2x the plain LSTM', async () => {
    const layer = await cellStepKernels('lstm', 'layer', 2);
    const plain = await cellStepKernels('lstm', 'none', 2);
    assert.equal(layer.kernels, layer.composite);
    assert.ok(
      layer.kernels > plain.kernels && layer.kernels <= 2 * plain.kernels,
      `${layer.kernels} vs ${plain.kernels}`,
    );
  });
});
