// Runs that go wrong while they train or evaluate: losses that blow up without becoming NaN (issue 24, item 4).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Task } from '../src/train/task';
import { train } from '../src/train/loop';
import { trainSchema } from '../src/train/spec';
import { cli } from './cli-runner';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `ln-repro-${name}-`));

/** A DRAW small enough to train in a second (test/draw.test.ts's tiny sizes) at a learning rate that blows it up. */
const BLOWN_DRAW = [
  ...['data.train=64', 'data.test=32', 'model.hidden=8', 'model.latent=3', 'model.glimpses=3'],
  ...['train.batchSize=16', 'train.epochs=2', 'train.learningRate=3'],
].flatMap((s) => ['--set', s]);

/** The run folders' run.json records of experiment folder `dir`, by run id. */
function records(dir: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const id of readdirSync(dir)) {
    const file = join(dir, id, 'run.json');
    if (existsSync(file)) out[id] = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  }
  return out;
}

describe('4. a blown-up run is diverged, not complete', () => {
  it('DRAW at learning rate 3 (train bound ~1e8, an untrained model ~543 nats) ends diverged, exit 1', () => {
    const out = tmp('blown');
    const r = cli(['run', 'configs/draw-small.yaml', ...BLOWN_DRAW, '--set', 'sweep={}', '--out', out]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const rec = records(join(out, 'draw-small')).default;
    assert.equal(rec.status, 'diverged', `run.json says ${String(rec.status)}`);
    const initial = rec.initial_loss as number;
    assert.ok(initial > 100 && initial < 1000, `the untrained model's training bound: ${initial}`);
    assert.equal(rec.loss_bound, 10 * initial);
    assert.match(String(rec.message), /train_bound .* above .*10 x the untrained model's/);
    assert.equal(existsSync(join(out, 'draw-small', 'default', 'artifacts')), false, 'no pictures of a diverged run');
  });

  it('a test bound that blows up counts too, and a diverged run never makes a claim PASS', () => {
    const out = tmp('blown-claims');
    const sweep = ['--set', 'sweep={"model.norm":[none,layer]}', '--jobs', '1'];
    const r = cli(['run', 'configs/ci/draw.yaml', ...BLOWN_DRAW, ...sweep, '--out', out]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const rec = records(join(out, 'ci-draw'))['norm=layer'];
    assert.equal(rec.status, 'diverged', `the layer-norm run: ${String(rec.status)}`);
    assert.match(String(rec.message), /test_bound .* above/, 'its test bound at epoch 1 (~12,900 nats) is over');
    assert.doesNotMatch(r.stdout, /^PASS/m, r.stdout);
    const report = readFileSync(join(out, 'ci-draw', 'report.md'), 'utf8');
    assert.match(report, /## Diverged runs[^#]*\| norm=layer \| [\d.]+ \| [\d.]+ \| test_bound .* above/, report);
    const check = cli(['check', join(out, 'ci-draw')]);
    assert.notEqual(check.code, 0, check.stdout);
    assert.doesNotMatch(check.stdout, /^PASS/m, check.stdout);
  });

  it('the bound applies to the final test metric even where the training loss stays low', async () => {
    const w = tf.variable(tf.scalar(1));
    let epoch = 0;
    const task = {
      parameters: [w],
      trainCount: 4,
      objective: () => tf.mul(w, w) as tf.Scalar,
      forward() {},
      perExample: (value: number) => value,
      lossColumn: 'train_x',
      divergence: { factor: 10, columns: ['train_x', 'test_x'] },
      evaluate: () => Promise.resolve({ test_x: ++epoch === 2 ? 1e4 : 0.5 }),
      dispose: () => w.dispose(),
    } as unknown as Task;
    const result = await train({ config: trainSchema.parse({ batchSize: 4, epochs: 2 }), task });
    assert.equal(result.status, 'diverged');
    assert.equal(result.rows.length, 2, 'the epoch that blew up is recorded');
    assert.match(result.message ?? '', /test_x 10000 above 10 \(10 x the untrained model's 1/);
  });
});
