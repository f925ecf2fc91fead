// Training: determinism, no tensor leaks across epochs, divergence and interruption, metrics vs float64.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { runConfigSchema, type RunConfig } from '../src/config/schema';
import { meanNll, nllAndErrorSums } from '../src/metrics/classification';
import { buildModel } from '../src/models/registry';
import { disposeModule } from '../src/util/module';
import { loadData, randomMatrix, TEST_BACKENDS, useBackend, trainOn } from './helpers';
import { nllAndErrorRef } from './reference';

function tinyConfig(
  overrides: { norm?: 'none' | 'layer' | 'batch'; learningRate?: number; epochs?: number } = {},
  train: Record<string, number> = {},
): RunConfig {
  return runConfigSchema.parse({
    name: 'tiny',
    data: { train: 48, test: 24, seed: 1, permute: true },
    model: { kind: 'mlp', hidden: [12, 10], norm: overrides.norm ?? 'layer' },
    train: {
      batchSize: 8,
      epochs: overrides.epochs ?? 3,
      learningRate: overrides.learningRate ?? 1e-2,
      seed: 3,
      ...train,
    },
  });
}

for (const backend of TEST_BACKENDS) {
  describe(`training [${backend}]`, () => {
    before(() => useBackend(backend));

    for (const norm of ['none', 'layer', 'batch'] as const) {
      it(`${norm}: is deterministic, learns, and leaks no tensors across epochs`, async () => {
        const config = tinyConfig({ norm });
        const data = loadData(config);
        const before = tf.memory().numTensors;
        const perEpoch: number[] = [];
        const a = await trainOn({ config, data, onEpoch: () => perEpoch.push(tf.memory().numTensors) });
        const b = await trainOn({ config, data });
        assert.equal(a.status, 'complete');
        assert.equal(a.rows.length, 3);
        assert.equal(a.rows[2].step, 18);
        const strip = (rows: typeof a.rows) => rows.map(({ seconds: _s, ...rest }) => rest);
        assert.deepEqual(strip(a.rows), strip(b.rows), 'same config, same backend: same metrics');
        assert.ok(
          a.rows[2].train_nll! < a.rows[0].train_nll!,
          `training NLL should fall: ${a.rows.map((r) => r.train_nll)}`,
        );
        assert.deepEqual(perEpoch, [perEpoch[0], perEpoch[0], perEpoch[0]], `tensor count per epoch: ${perEpoch}`);
        assert.equal(tf.memory().numTensors, before, 'everything is disposed after the run');
      });
    }

    for (const norm of ['layer', 'batch'] as const)
      it(`${norm}: train.evalEvery adds rows between epochs' ends and changes no epoch's row`, async () => {
        const data = loadData(tinyConfig({ norm }));
        const plain = await trainOn({ config: tinyConfig({ norm }), data });
        const every = await trainOn({ config: tinyConfig({ norm }, { evalEvery: 4 }), data });
        // 48 examples in batches of 8: 6 updates an epoch; rows every 4 updates, and at each epoch's end.
        assert.deepEqual(
          every.rows.map((r) => [r.epoch, r.step]),
          [
            [0.666667, 4],
            [1, 6],
            [1.333333, 8],
            [2, 12],
            [2.666667, 16],
            [3, 18],
          ],
        );
        const strip = ({ seconds: _s, train_nll: _t, ...rest }: (typeof plain.rows)[number]) => rest;
        const ends = every.rows.filter((r) => Number.isInteger(r.epoch));
        assert.deepEqual(ends.map(strip), plain.rows.map(strip), 'the same training, the same test metrics');
        // Each row's training loss is the mean since the row before: weighted, an epoch's rows give its mean.
        const [w1, e1] = every.rows;
        const mean = (32 * w1.train_nll! + 16 * e1.train_nll!) / 48;
        assert.ok(Math.abs(mean - plain.rows[0].train_nll!) < 1e-6, `${mean} vs ${plain.rows[0].train_nll}`);
        assert.equal(every.steps, plain.steps);
      });

    it('train.evalsPerEpoch spaces rows evenly within each epoch, whatever the batch size', async () => {
      const data = loadData(tinyConfig());
      const rows = async (batchSize: number) =>
        (await trainOn({ config: tinyConfig({ epochs: 2 }, { batchSize, evalsPerEpoch: 3 }), data })).rows.map((r) => [
          r.epoch,
          r.step,
        ]);
      // 48 examples: 6 updates an epoch in batches of 8, 12 in batches of 4; a row at each third of an epoch.
      const thirds = [0.333333, 0.666667, 1, 1.333333, 1.666667, 2];
      assert.deepEqual(
        await rows(8),
        [2, 4, 6, 8, 10, 12].map((step, k) => [thirds[k], step]),
      );
      assert.deepEqual(
        await rows(4),
        [4, 8, 12, 16, 20, 24].map((step, k) => [thirds[k], step]),
      );
    });

    it("Adam's constants come from the config (train.adamBeta1, adamBeta2, adamEpsilon)", async () => {
      const data = loadData(tinyConfig());
      const nll = async (train: Record<string, number>) =>
        (await trainOn({ config: tinyConfig({ epochs: 1 }, train), data })).rows[0].train_nll;
      const stated = await nll({ adamBeta1: 0.9, adamBeta2: 0.999, adamEpsilon: 1e-8 });
      assert.equal(await nll({}), stated, 'the defaults are the usual constants');
      const changes: Record<string, number>[] = [{ adamBeta1: 0.5 }, { adamBeta2: 0.9 }, { adamEpsilon: 1 }];
      for (const changed of changes)
        assert.notEqual(await nll(changed), stated, `${Object.keys(changed)[0]} changes training`);
    });

    it('stops a run whose loss becomes non-finite as diverged', async () => {
      const r = await trainOn({
        config: tinyConfig({ norm: 'none', learningRate: 1e30 }),
        data: loadData(tinyConfig()),
      });
      assert.equal(r.status, 'diverged');
      assert.match(r.message ?? '', /non-finite/);
      // Losses are read back in groups: the steps run after the first non-finite one are not counted.
      assert.match(r.message ?? '', new RegExp(`step ${r.steps}$`));
    });

    it('stops after the current step when asked, keeping only complete epochs', async () => {
      let asked = 0;
      const reported: number[] = [];
      const config = tinyConfig();
      const r = await trainOn({
        config,
        data: loadData(config),
        onStep: (info) => reported.push(info.step),
        // Asked after every step and after each evaluation batch (epoch 1's one batch of 24 test digits): step 8.
        shouldStop: () => ++asked >= 9,
      });
      assert.equal(r.status, 'interrupted');
      assert.equal(r.steps, 8);
      assert.equal(r.rows.length, 1, 'epoch 1 (6 steps) is complete, epoch 2 is not');
      // Losses are read back every 16 steps and at an epoch's end: epoch 2's two steps were never read.
      assert.deepEqual(reported, [1, 2, 3, 4, 5, 6]);
    });

    it('reads losses back in groups (every 16 steps and at the end of an epoch), each step reported in order', async () => {
      const config = tinyConfig({ epochs: 1 }, { batchSize: 1 }); // 48 steps
      const reported: { step: number; atRead: number }[] = [];
      let stepsRun = 0;
      const r = await trainOn({
        config,
        data: loadData(config),
        onStep: (info) => reported.push({ step: info.step, atRead: stepsRun }),
        shouldStop: () => (stepsRun++, false),
      });
      assert.equal(r.status, 'complete');
      assert.deepEqual(
        reported.map((x) => x.step),
        Array.from({ length: 48 }, (_, i) => i + 1),
      );
      // Reported when their group was read: after steps 16, 32 and 48 (shouldStop runs after the read).
      assert.deepEqual([...new Set(reported.map((x) => x.atRead))], [15, 31, 47]);
    });

    it('computes NLL and error like the float64 reference', async () => {
      const logits = randomMatrix(9, 10, 30, 3);
      const labels = [0, 1, 2, 3, 4, 5, 6, 7, 8];
      labels[4] = logits[4].indexOf(Math.max(...logits[4])); // at least one correct
      const ref = nllAndErrorRef(logits, labels);
      const sums = nllAndErrorSums(tf.tensor2d(logits), tf.tensor1d(labels, 'int32'));
      assert.ok(Math.abs((await sums.nll.data())[0] / 9 - ref.nll) < 1e-5);
      assert.equal((await sums.errors.data())[0] / 9, ref.error);
      const mean = meanNll(tf.tensor2d(logits), tf.oneHot(tf.tensor1d(labels, 'int32'), 10) as tf.Tensor2D);
      assert.ok(Math.abs((await mean.data())[0] - ref.nll) < 1e-5);
    });

    it('builds the MLP of the config: no dense bias where a norm follows, softmax layer never normalized', () => {
      const shapes = (norm: 'none' | 'layer' | 'batch') => {
        const m = buildModel({ config: tinyConfig({ norm }).model, data: { shape: [784], classes: 10 }, seed: 1 });
        const out = {
          trainable: m.parameters().map((v) => `${v.name.replace(/_\d+$/, '')}:${v.shape}`),
          state: m.buffers().length,
        };
        disposeModule(m);
        return out;
      };
      assert.deepEqual(shapes('none').trainable, [
        'hidden1/kernel:784,12',
        'hidden1/bias:12',
        'hidden2/kernel:12,10',
        'hidden2/bias:10',
        'output/kernel:10,10',
        'output/bias:10',
      ]);
      assert.deepEqual(shapes('layer').trainable, [
        'hidden1/kernel:784,12',
        'hidden1/layer/gain:12',
        'hidden1/layer/bias:12',
        'hidden2/kernel:12,10',
        'hidden2/layer/gain:10',
        'hidden2/layer/bias:10',
        'output/kernel:10,10',
        'output/bias:10',
      ]);
      assert.equal(shapes('batch').state, 4);
    });
  });
}
