// Every norm with every model kind (and cell) that takes it trains on cpu, wasm and webgpu (the software adapter
// here): two training steps of each kind's tiny configs, then an evaluation, with a
// finite loss, every parameter finite and moved by the steps, and no tensor left behind. On webgpu, where the cells
// run op by op on a software rasterizer, the GRU only in the rnn kind (the other kinds' GRUs are the cpu's and wasm's).
// About 8 minutes on 2 cores (the recurrent kinds on webgpu 8-60 s each), more than `make test` can hold: it runs
// with LN_REPRO_NORM_MATRIX=1, which `make test-norms` sets and CI (.ci/run) runs; `npm test` skips it, saying so.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { enableFastPaths } from '../src/backend/fast';
import type { RunConfig } from '../src/config/schema';
import { NORM_KINDS } from '../src/norm/catalog';
import { createTask, taskImplementation } from '../src/tasks/registry';
import { Adam } from '../src/train/adam';
import { epochBatches } from '../src/train/batches';
import { useBackend } from './helpers';
import { kindConfigs } from './kind-configs';

/** Two steps of 16 examples and an evaluation of 16: the loss, and whether every parameter is finite and moved. */
async function trainTwice(tiny: RunConfig) {
  const config = { ...tiny, data: { ...tiny.data, test: 16 }, train: { ...tiny.train, batchSize: 16 } };
  const data = taskImplementation(config).load(config.data);
  const tensors = tf.memory().numTensors;
  const task = createTask(config, data);
  const adam = new Adam({ learningRate: 1e-2 });
  const before = await Promise.all(task.parameters.map((p) => p.data()));
  const losses: number[] = [];
  for (const batch of epochBatches(task.trainCount, config.train.batchSize, 1, 1).slice(0, 2)) {
    const loss = adam.minimize(() => task.objective(batch), task.parameters);
    losses.push((await loss.data())[0]);
    loss.dispose();
  }
  await task.evaluate();
  const after = await Promise.all(task.parameters.map((p) => p.data()));
  task.dispose();
  adam.dispose();
  const moved = after.filter((a, i) => a.some((v, j) => v !== before[i][j])).length;
  const still = task.parameters.filter((_, i) => after[i].every((v, j) => v === before[i][j])).map((p) => p.name);
  const finite = after.every((a) => a.every(Number.isFinite));
  return { losses, moved, still, finite, count: after.length, leaked: tf.memory().numTensors - tensors };
}

const SKIP =
  process.env.LN_REPRO_NORM_MATRIX === '1' ? false : 'set LN_REPRO_NORM_MATRIX=1 (make test-norms; CI runs it)';

for (const backend of ['cpu', 'wasm', 'webgpu'] as const) {
  describe(`every norm x model kind trains on ${backend}`, { skip: SKIP }, () => {
    before(async () => {
      await useBackend(backend);
      enableFastPaths();
    });
    after(() => useBackend('cpu'));

    const configs = kindConfigs().filter(
      ([, c]) => backend !== 'webgpu' || c.model.kind === 'rnn' || (c.model as { cell?: string }).cell !== 'gru',
    );
    it('covers every norm', () =>
      assert.deepEqual([...new Set(configs.map(([, c]) => c.model.norm))].sort(), [...NORM_KINDS].sort()));
    for (const [label, config] of configs) {
      it(label, async () => {
        const r = await trainTwice(config);
        assert.ok(r.losses.every(Number.isFinite), `losses ${r.losses.join(', ')}`);
        assert.ok(r.finite, 'every parameter finite');
        // Every parameter moves in two steps: one that does not has no gradient (a norm's gain that nothing reaches).
        assert.deepEqual(r.still, [], `${r.moved} of ${r.count} parameters moved`);
        assert.equal(r.leaked, 0, 'no tensor left behind');
      });
    }
  });
}
