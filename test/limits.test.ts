// The memory check's estimate (src/experiments/limits.ts, from each model kind's estimate next to its builder)
// against models built: for every model kind, with every norm and cell it takes, the parameter count is exact, and
// the bytes estimated are at least the peak measured (tf.profile on the cpu backend over one training step, one
// evaluation and a norm's statistics pass) and at most ESTIMATE_SLACK times it.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { enableFastPaths } from '../src/backend/fast';
import type { RunConfig } from '../src/config/schema';
import { estimateRun } from '../src/experiments/limits';
import { MODEL_KINDS } from '../src/models/catalog';
import { createTask, taskImplementation } from '../src/tasks/registry';
import { Adam } from '../src/train/adam';
import { epochBatches } from '../src/train/batches';
import { moduleOf, parameterCount } from '../src/util/module';
import { useBackend } from './helpers';
import { kindConfigs as configs } from './kind-configs';

/**
 * The estimate is an upper bound that is not wildly loose: measured here from 1.06 (a BN-LSTM) to 2.14 (a convnet
 * without a norm) times the peak.
 */
const ESTIMATE_SLACK = 3;

/** The peak bytes of everything live while `f` runs, counted from `base` (tf.profile's object is reused: copied). */
async function peakOf(f: () => unknown, base: number): Promise<number> {
  const { peakBytes } = await tf.profile(f as () => tf.TensorContainer);
  return peakBytes - base;
}

/** Builds the run's task and measures one step, one evaluation and, with batch norm, one statistics pass. */
async function measure(config: RunConfig): Promise<{ parameters: number; peak: number }> {
  const impl = taskImplementation(config);
  const data = impl.load(config.data);
  const base = tf.memory().numBytes;
  const task = createTask(config, data);
  const adam = new Adam({ learningRate: 1e-3 });
  const [batch] = epochBatches(task.trainCount, config.train.batchSize, 1, 1);
  const step = await peakOf(() => adam.minimize(() => task.objective(batch), task.parameters).dispose(), base);
  const evaluation = await peakOf(() => task.evaluate(), base);
  const pass = task.statisticsPass;
  const statistics = pass
    ? await peakOf(() => epochBatches(task.trainCount, pass.batchSize, 1, 1).forEach((b) => task.forward(b)), base)
    : 0;
  const parameters = parameterCount(moduleOf(task.parameters));
  task.dispose();
  adam.dispose();
  return { parameters, peak: Math.max(step, evaluation, statistics) };
}

describe('the memory estimate of every model kind', () => {
  before(async () => {
    await useBackend('cpu');
    enableFastPaths();
  });

  it('covers every kind of the catalog', () => {
    assert.deepEqual([...new Set(configs().map(([, c]) => c.model.kind))].sort(), [...MODEL_KINDS].sort());
  });

  // RMSNorm's layers are layer norm's with one flag changed (src/norm/layer): the same values kept, the same estimate.
  // Checked in one kind of each family (dense, conv, recurrent) to keep make test's time; the norm matrix
  // (test/norm-matrix.test.ts) trains it in every kind.
  const checked = configs().filter(([, c]) => c.model.norm !== 'rms' || ['mlp', 'conv', 'rnn'].includes(c.model.kind));
  for (const [label, config] of checked) {
    it(`${label}: exact parameters, bytes between the measured peak and ${ESTIMATE_SLACK} times it`, async () => {
      const measured = await measure(config);
      const estimate = estimateRun(config, taskImplementation(config).load(config.data));
      assert.equal(estimate.parameters, measured.parameters);
      const ratio = estimate.bytes / measured.peak;
      assert.ok(
        ratio >= 1 && ratio <= ESTIMATE_SLACK,
        `estimate ${estimate.bytes} B, peak ${measured.peak} B: ${ratio}`,
      );
    });
  }
});
