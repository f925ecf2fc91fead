// What a float64 replication of configs/ci/gain-init.yaml's LSTM runs needs (scripts/float64_lstm.py): each run's
// initial weights and h_0 as ln-repro makes them, its batches epoch by epoch, the training and test digits. Not part
// of the tests (the replication needs PyTorch); README, "Claims", quotes its numbers.
//   npm run build && node scripts/float64-lstm-dump.mjs data/float64-lstm.json
//   python3 scripts/float64_lstm.py data/float64-lstm.json
/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call,
   @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument,
   @typescript-eslint/no-unsafe-return -- dist/'s modules, loaded with require, carry no types */
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import process from 'node:process';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
const { loadExperiments } = require('../dist/src/config/load.js');
const { dataLoader } = require('../dist/src/experiments/data.js');
const { createTask } = require('../dist/src/tasks/registry.js');
const { epochBatches } = require('../dist/src/train/batches.js');
const { initialHidden } = require('../dist/src/models/cells/parts.js');

const out = process.argv[2] ?? 'data/float64-lstm.json';
await tf.setBackend('cpu');
const [, experiment] = loadExperiments({ file: 'configs/ci/gain-init.yaml' });
const load = dataLoader();
const dump = { runs: {} };
for (const run of experiment.runs) {
  const data = load(run.config);
  const task = createTask(run.config, data);
  const { train, model } = run.config;
  dump.runs[run.runId] = {
    norm: model.norm,
    names: task.parameters.map((p) => p.name),
    shapes: task.parameters.map((p) => p.shape),
    values: task.parameters.map((p) => Array.from(p.dataSync())),
    h0: Array.from(initialHidden(model.hidden, model.h0Scale, train.seed)),
    epsilon: model.epsilon,
    learningRate: train.learningRate,
    batches: Array.from({ length: train.epochs }, (_, e) =>
      epochBatches(task.trainCount, train.batchSize, train.seed, e + 1).map((b) => Array.from(b)),
    ),
  };
  dump.train ??= { images: Array.from(data.train.images), labels: Array.from(data.train.labels) };
  dump.test ??= { images: Array.from(data.test.images), labels: Array.from(data.test.labels) };
  task.dispose();
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(dump));
process.stdout.write(`${out}: ${Object.keys(dump.runs).length} runs\n`);
