// Issue 24, item 1: the first training step of configs/ci/gain-init.yaml's BN-LSTMs, whose 32 digits all begin with
// blank rows, so that every sequence has the same state there and batch norm sees zero-variance columns. Its loss and
// every parameter's gradient in float32 (fused cells on wasm and cpu, op by op on wasm) against the float64 reference
// of bn-lstm-reference.ts, itself checked against float64 finite differences. Before the fix (the batch mean of the
// gradient of a state that is the same in every sequence: src/models/cells/fused.ts, commonGradient) W_h's gradient
// was off by a relative 4.5 at gain 0.1 and 1.8e8 at gain 1.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { enableFastPaths, setFusedCells } from '../src/backend/fast';
import { loadExperiments } from '../src/config/load';
import { dataLoader } from '../src/experiments/data';
import type { Dataset, ImageSet } from '../src/data/types';
import { initialHidden } from '../src/models/cells/parts';
import { createTask } from '../src/tasks/registry';
import { epochBatches } from '../src/train/batches';
import { bnLstmForward, bnLstmGradients, type BnLstmParams, type M } from './bn-lstm-reference';
import { useBackend } from './helpers';

/** Float32 against float64: the largest difference over the largest reference value, per parameter (the issue's). */
const TOLERANCE = 1e-2;
/** Random directions per parameter along which finite differences check the reference. */
const DIRECTIONS = 4;
const NAMES: Record<string, keyof BnLstmParams> = {
  'rnn/lstm/W_x': 'W_x',
  'rnn/lstm/W_h': 'W_h',
  'rnn/lstm/b': 'b',
  'rnn/lstm/bn_h/gain': 'gain_h',
  'rnn/lstm/bn_x/gain': 'gain_x',
  'rnn/lstm/bn_c/gain': 'gain_c',
  'rnn/lstm/bn_c/bias': 'bias_c',
  'output/kernel': 'W_out',
  'output/bias': 'b_out',
};

const flat = (v: M | number[]): number[] => (Array.isArray(v[0]) ? (v as M).flat() : (v as number[]));
const rows = (values: ArrayLike<number>, shape: number[]): M | number[] =>
  shape.length === 1
    ? Array.from(values)
    : Array.from({ length: shape[0] }, (_, i) => Array.from(values).slice(i * shape[1], (i + 1) * shape[1]));

interface FirstStep {
  params: BnLstmParams;
  xs: M[];
  h0: number[];
  labels: number[];
  loss: number;
  grads: Record<string, number[]>;
}

/** The run's first step as `run` takes it: its model, initial weights and first batch; float32 loss and gradients. */
function firstStep(gainInit: number): FirstStep {
  const experiment = loadExperiments({ file: 'configs/ci/gain-init.yaml' })[1];
  const run = experiment.runs.find(
    (r) => r.swept['model.norm'] === 'batch' && r.swept['model.gainInit'] === gainInit && r.swept['train.seed'] === 1,
  )!;
  const data = dataLoader()(run.config) as Dataset<ImageSet>;
  const task = createTask(run.config, data);
  try {
    const batch = epochBatches(task.trainCount, run.config.train.batchSize, run.config.train.seed, 1)[0];
    const { value, grads } = tf.variableGrads(() => task.objective(batch) as tf.Scalar, task.parameters);
    const key = (name: string) => NAMES[name.replace(/_\d+$/, '')];
    const params = Object.fromEntries(task.parameters.map((p) => [key(p.name), rows(p.dataSync(), p.shape)]));
    const image = (i: number) => data.train.images.subarray(i * 784, (i + 1) * 784);
    const xs = Array.from({ length: 28 }, (_, t) =>
      Array.from(batch, (i) => Array.from(image(i).subarray(t * 28, t * 28 + 28))),
    );
    const model = run.config.model as { h0Scale: number };
    return {
      params: params as unknown as BnLstmParams,
      xs,
      h0: Array.from(initialHidden(32, model.h0Scale, run.config.train.seed)),
      labels: Array.from(batch, (i) => data.train.labels[i]),
      loss: value.dataSync()[0],
      grads: Object.fromEntries(Object.entries(grads).map(([n, g]) => [key(n), Array.from(g.dataSync())])),
    };
  } finally {
    task.dispose();
  }
}

/** Float64 central difference of the reference's loss along v (unit norm) in parameter `name`. */
function directional(s: FirstStep, name: keyof BnLstmParams, v: number[]): number {
  const at = (eps: number) => {
    const p = {
      ...s.params,
      [name]: rows(
        flat(s.params[name]).map((x, k) => x + eps * v[k]),
        shapeOf(s.params[name]),
      ),
    };
    return bnLstmForward(p, s.xs, s.h0, s.labels).loss;
  };
  const eps = 1e-5;
  return (at(eps) - at(-eps)) / (2 * eps);
}
const shapeOf = (v: M | number[]) => (Array.isArray(v[0]) ? [v.length, (v as M)[0].length] : [v.length]);

describe('the first BN-LSTM step of ci-gain-init-lstm (blank leading rows) against float64', () => {
  after(() => setFusedCells(true));
  for (const gainInit of [0.1, 1.0]) {
    let reference: ReturnType<typeof bnLstmGradients> | undefined;
    it(`gain ${gainInit}: the batch begins with blank rows, and the float64 reference agrees with finite differences`, async () => {
      await useBackend('wasm');
      enableFastPaths();
      const step = firstStep(gainInit);
      const leading = step.xs.findIndex((x) => x.some((row) => row.some((v) => v !== 0)));
      assert.ok(leading >= 3, `every digit of the batch begins with ${leading} blank rows`);
      reference = bnLstmGradients(step.params, step.xs, step.h0, step.labels);
      let seed = 7;
      const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
      for (const name of Object.values(NAMES))
        for (let k = 0; k < DIRECTIONS; k++) {
          const g = flat(reference.grads[name]);
          const v = g.map(() => random());
          const norm = Math.hypot(...v);
          const unit = v.map((x) => x / norm);
          const analytic = g.reduce((s, x, j) => s + x * unit[j], 0);
          const fd = directional(step, name, unit);
          assert.ok(
            Math.abs(fd - analytic) <= 1e-6 * Math.hypot(...g) + 1e-9,
            `${name}: fd ${fd}, reference ${analytic}`,
          );
        }
    });
    for (const [label, backend, fused] of [
      ['fused, wasm', 'wasm', true],
      ['fused, cpu', 'cpu', true],
      ['op by op, wasm', 'wasm', false],
    ] as const) {
      it(`gain ${gainInit}, ${label}: the loss and every gradient within ${TOLERANCE} of float64`, async () => {
        await useBackend(backend);
        enableFastPaths();
        setFusedCells(fused);
        const s = firstStep(gainInit);
        assert.ok(Math.abs(s.loss - reference!.loss) < 1e-5, `loss ${s.loss} vs ${reference!.loss}`);
        for (const name of Object.values(NAMES)) {
          const ref = flat(reference!.grads[name]);
          const largest = Math.max(...ref.map(Math.abs));
          const err = Math.max(...ref.map((r, k) => Math.abs(r - s.grads[name][k])));
          assert.ok(err <= TOLERANCE * largest, `${name}: largest difference ${err}, largest value ${largest}`);
        }
      });
    }
  }
});
