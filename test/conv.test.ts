// The convnet: its filter-gradient kernel on wasm, norms over (height, width, channels), forward and backward.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths } from '../src/backend/fast';
import { runConfigSchema } from '../src/config/schema';
import { buildModel } from '../src/models/registry';
import type { Classifier } from '../src/models/types';
import { createBatchNorm } from '../src/norm/batch/batch-norm';
import { createLayerNorm } from '../src/norm/layer';
import { disposeModule } from '../src/util/module';
import { maxRelError, normSettings, randomMatrix, TEST_BACKENDS, toRows, useBackend } from './helpers';
import { normalizeRef } from './reference';

after(() => disableFastPaths());

describe('Conv2DBackpropFilter on wasm', () => {
  const cases: [number[], number[], number, 'same' | 'valid'][] = [
    [[2, 7, 7, 3], [3, 3, 3, 4], 1, 'same'],
    [[2, 8, 8, 2], [5, 5, 2, 3], 1, 'valid'],
    [[1, 9, 9, 2], [3, 3, 2, 2], 2, 'same'],
  ];
  for (const [xShape, fShape, stride, pad] of cases) {
    it(`equals the cpu backend's kernel: x [${xShape}], filter [${fShape}], stride ${stride}, ${pad}`, async () => {
      const x = randomMatrix(
        1,
        xShape.reduce((a, b) => a * b),
        1,
      )[0];
      const f = randomMatrix(
        1,
        fShape.reduce((a, b) => a * b),
        2,
      )[0];
      const grad = async () => {
        const [, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad),
        )([tf.tensor(x, xShape), tf.tensor(f, fShape)]);
        return Array.from(await df.data());
      };
      await useBackend('cpu');
      const expected = await grad();
      await useBackend('wasm');
      enableFastPaths();
      assert.ok(maxRelError(await grad(), expected) < 1e-5);
    });
  }
});

for (const backend of TEST_BACKENDS) {
  describe(`norms over (height, width, channels) [${backend}]`, () => {
    const [b, p, c] = [3, 4, 5]; // batch, positions, channels
    const x = () => randomMatrix(b, p * c, 3, 2, 1);
    const gain = randomMatrix(1, c, 4, 0.5, 1)[0];
    const opts = (norm: 'layer' | 'batch') => ({
      name: 'n',
      units: c,
      positions: p,
      settings: normSettings(norm, { bnStats: 'population' }),
    });

    it('layer norm: per example over all positions and channels, gain per channel', async () => {
      await useBackend(backend);
      enableFastPaths();
      const ln = createLayerNorm(opts('layer'));
      ln.parameters()[0].assign(tf.tensor1d(gain));
      const y = await toRows(ln.apply(tf.tensor2d(x()), true));
      const tiled = Array.from({ length: p * c }, (_, j) => gain[j % c]);
      assert.ok(maxRelError(y, normalizeRef(x(), tiled, Array(p * c).fill(0), 1, 1e-5)) < 1e-5);
      disposeModule(ln);
    });

    it('batch norm: per channel over the batch and all positions', async () => {
      await useBackend(backend);
      enableFastPaths();
      const bn = createBatchNorm(opts('batch'));
      const y = (await toRows(bn.apply(tf.tensor2d(x()), true))).flat();
      const rows = x().flatMap((r) => Array.from({ length: p }, (_, q) => r.slice(q * c, (q + 1) * c))); // [b*p, c]
      assert.ok(maxRelError(y, normalizeRef(rows, Array(c).fill(1), Array(c).fill(0), 0, 1e-5).flat()) < 1e-5);
      tf.dispose([...bn.parameters(), ...bn.buffers()]);
    });
  });

  describe(`convnet forward and backward [${backend}]`, () => {
    for (const norm of ['none', 'layer', 'batch'] as const) {
      it(`${norm}: logits, finite non-zero gradients for every variable, no leaks`, async () => {
        await useBackend(backend);
        enableFastPaths();
        const config = runConfigSchema.parse({
          name: 't',
          data: { train: 8, test: 4, view: 'image' },
          model: { kind: 'conv', channels: [4, 6], kernelSize: 3, norm },
          train: { batchSize: 8 },
        }).model;
        const model = buildModel<Classifier>({ config, data: { shape: [28, 28, 1], classes: 10 }, seed: 1 });
        const x = tf.tensor2d(randomMatrix(3, 784, 5, 0.5, 0.5));
        const y = tf.oneHot(tf.tensor1d([1, 2, 3], 'int32'), 10);
        const before = tf.memory().numTensors;
        tf.tidy(() => {
          assert.deepEqual(model.logits(x, false).shape, [3, 10]);
          const { grads } = tf.variableGrads(
            () => tf.losses.softmaxCrossEntropy(y, model.logits(x, true)) as tf.Scalar,
            model.parameters(),
          );
          for (const v of model.parameters()) {
            const g = grads[v.name].dataSync();
            assert.ok(g.every(Number.isFinite), `${v.name} finite`);
            assert.ok(
              g.some((e) => e !== 0),
              `${v.name} non-zero`,
            );
          }
        });
        assert.equal(tf.memory().numTensors, before);
        assert.equal(model.parameters().length, norm === 'none' ? 6 : 8);
        disposeModule(model);
      });
    }
  });
}
