// Runs that go wrong while they train or evaluate (issue 24): losses that blow up without becoming NaN (item 4);
// evaluation that must yield to Ctrl-C, sizes the memory check must refuse, workers that outlive their parent (5).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { lockState } from '../src/experiments/lock';
import { curvePoints } from '../src/report/series';
import type { RunResult } from '../src/results/read';
import { processGone } from '../src/util/process';
import type { Task } from '../src/train/task';
import { train } from '../src/train/loop';
import { trainSchema } from '../src/train/spec';
import { BIN, cli, noStack, pinWasm, ROOT, TINY, tmp } from './cli-runner';

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

/** cli-runner's tiny MLP (a few seconds a run) with no norm, whose learning rate a test sets. */
const TINY_MLP = [...TINY, '--set', 'model.norm=none'];

/** A run result with one row whose training loss is `loss` (the fields curvePoints reads). */
const runOf = (status: string, loss: number) =>
  ({
    runId: status,
    status,
    config: { model: { norm: 'layer' } },
    rows: [{ epoch: 1, step: 4, train_nll: loss }],
  }) as unknown as RunResult;

describe('4. a diverged run is left out of the figures, and its message shown', () => {
  it('curvePoints leaves out diverged runs (their last row is the one that blew up), keeps the others', () => {
    const runs = [runOf('complete', 0.5), runOf('interrupted', 0.7), runOf('diverged', 4e21)];
    const points = curvePoints(runs, [], ['train_nll']);
    assert.deepEqual(
      points.map((p) => [p.n, p.lo, p.hi]),
      [[2, 0.5, 0.7]],
      'one point: the complete and interrupted runs',
    );
  });

  it('run: the diverged run of a learning-rate sweep is not in curves.svg; summary shows why it diverged', () => {
    const out = tmp('diverged-figures');
    const sweep = ['--set', 'sweep={"train.learningRate":[0.001,3]}'];
    const r = cli(['run', 'configs/mnist-bs4.yaml', ...TINY_MLP, ...sweep, '--out', out, '--quiet']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const dir = join(out, 'mnist-bs4');
    assert.equal(records(dir)['learningRate=3'].status, 'diverged');
    const svg = readFileSync(join(dir, 'curves.svg'), 'utf8');
    assert.doesNotMatch(svg, /learningRate=3\b/, 'the curves show no panel of the diverged run');
    const report = readFileSync(join(dir, 'report.md'), 'utf8');
    assert.match(report, /## Diverged runs\s+Left out of the claims, the figures and the final metrics/);
    const summary = cli(['summary', dir]);
    assert.equal(summary.code, 1, summary.stderr);
    assert.match(summary.stdout, /diverged\s+learningRate=3: train_nll [\d.e+]+ above [\d.]+ \(10 x the untrained/);
  });

  it('report on a folder whose runs all diverged after an epoch: exit 2, nothing drawn from the rows that blew up', () => {
    const out = tmp('diverged-all');
    const r = cli([
      'run',
      'configs/mnist-bs4.yaml',
      ...TINY_MLP,
      ...['--set', 'train.learningRate=3', '--set', 'sweep={}'],
      '--out',
      out,
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /report: not written \(.*every run diverged/);
    const dir = join(out, 'mnist-bs4');
    for (const rec of Object.values(records(dir))) assert.equal(rec.status, 'diverged');
    const report = cli(['report', dir]);
    assert.equal(report.code, 2, report.stdout + report.stderr);
    assert.match(report.stderr, /every run diverged .*default: train_nll .* above/);
    noStack(report.stderr);
    assert.equal(existsSync(join(dir, 'curves.png')), false, 'no curves drawn');
    assert.equal(existsSync(join(dir, 'report.md')), false);
  });
});

/**
 * A tiny DRAW whose training is one step and whose evaluation is long: 1,000 draws of z for each of 500 test digits
 * (about 3 minutes on one core, one batch of 500 about 0.2 s).
 */
const SLOW_EVAL = [
  ...['data.train=16', 'data.test=500', 'model.hidden=8', 'model.latent=3', 'model.glimpses=8'],
  ...['train.batchSize=16', 'train.epochs=1', 'model.evalSamples=1000'],
].flatMap((s) => ['--set', s]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` every 100 ms for at most `ms`; whether it came true. */
async function waitFor(done: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (done()) return true;
  return done();
}

/** `ln-repro <args>` in the background. */
const start = (args: string[]): ChildProcess =>
  spawn(process.execPath, [BIN, ...pinWasm(args)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });

/** The exit code of `child` if it ends within `ms` (null when a signal ended it), else 'running'. */
function exitWithin(child: ChildProcess, ms: number): Promise<number | null | 'running'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('running'), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Kills the processes `pids` this test started that are still there. */
function killAll(pids: readonly number[]): void {
  for (const pid of pids.filter((p) => !processGone(p))) process.kill(pid, 'SIGKILL');
}

/** The holder a run.lock names, or undefined while there is none (or it is being written). */
function readLock(path: string): { pid: number; worker?: { pid: number } } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { pid: number; worker?: { pid: number } };
  } catch {
    return undefined;
  }
}

/** The pids of the children of process `pid` (Linux ps). */
const childrenOf = (pid: number): number[] =>
  execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);

describe('5. evaluation yields to signals, and workers die with their parent', () => {
  it("SIGINT during DRAW's evaluation stops the run within seconds: exit 130, run.json interrupted", async () => {
    const out = tmp('eval-sigint');
    const child = start(['run', 'configs/draw-small.yaml', ...SLOW_EVAL, '--set', 'sweep={}', '--out', out]);
    try {
      const record = join(out, 'draw-small', 'default', 'run.json');
      assert.ok(await waitFor(() => existsSync(record), 30_000), 'the run started');
      await sleep(2000); // its one training step takes well under a second: evaluation has begun
      child.kill('SIGINT');
      assert.equal(await exitWithin(child, 8000), 130, 'stopped within 8 s with the interrupted exit code');
      const rec = JSON.parse(readFileSync(record, 'utf8')) as { status: string };
      assert.equal(rec.status, 'interrupted', 'not complete, so a rerun trains it again');
    } finally {
      killAll(child.pid ? [child.pid] : []);
    }
  });

  it('kill -9 of a --jobs 2 parent during evaluation: both workers are gone within seconds', async () => {
    const out = tmp('orphans');
    const sweep = ['--set', 'sweep={"model.norm":[none,layer]}', '--jobs', '2'];
    const child = start(['run', 'configs/draw-small.yaml', ...SLOW_EVAL, ...sweep, '--out', out]);
    let workers: number[] = [];
    try {
      const records = ['norm=none', 'norm=layer'].map((id) => join(out, 'draw-small', id, 'run.json'));
      assert.ok(await waitFor(() => records.every((r) => existsSync(r)), 30_000), 'both runs started');
      await sleep(2000);
      workers = childrenOf(child.pid!);
      assert.equal(workers.length, 2, `two workers: ${workers.join(', ')}`);
      child.kill('SIGKILL');
      const gone = await waitFor(() => workers.every((pid) => processGone(pid)), 8000);
      assert.ok(gone, `workers still running 8 s after their parent died: ${workers.filter((p) => !processGone(p))}`);
    } finally {
      killAll([...(child.pid ? [child.pid] : []), ...workers]);
    }
  });

  for (const [key, value] of [
    ['model.glimpses', '12000'],
    ['model.evalSamples', '1000000000'],
  ]) {
    it(`${key}: ${value} on a tiny DRAW is refused up front (exit 2, naming the key), not trained for minutes`, () => {
      const out = tmp('huge-draw');
      const tiny = ['data.train=16', 'data.test=8', 'model.hidden=8', 'model.latent=3', 'train.batchSize=2'];
      const sets = [...tiny, 'train.epochs=1', `${key}=${value}`].flatMap((s) => ['--set', s]);
      const args = pinWasm(['run', 'configs/draw-small.yaml', ...sets, '--set', 'sweep={}', '--out', out]);
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 2, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`configs/draw-small\\.yaml: .*${key.replace('.', '\\.')}`));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(existsSync(join(out, 'draw-small', 'default')), false, 'nothing trained');
    });
  }

  it('--jobs 2: each run.lock names the parent and the worker pid training that run (pool.ts delegates it)', async () => {
    const out = tmp('lock-delegate');
    const sweep = ['--set', 'sweep={"model.norm":[none,layer]}', '--jobs', '2'];
    const child = start(['run', 'configs/draw-small.yaml', ...SLOW_EVAL, ...sweep, '--out', out]);
    let workers: number[] = [];
    try {
      const locks = ['norm=none', 'norm=layer'].map((id) => join(out, 'draw-small', id, 'run.lock'));
      const holders = () => locks.map(readLock);
      const delegated = await waitFor(() => holders().every((h) => h?.worker !== undefined), 30_000);
      workers = childrenOf(child.pid!);
      assert.ok(delegated, `each lock names a worker: ${JSON.stringify(holders())}`);
      const named = holders().map((h) => h!.worker!.pid);
      for (const h of holders()) assert.equal(h!.pid, child.pid, 'the parent took the lock');
      assert.deepEqual([...named].sort(), [...workers].sort(), `the workers (${workers.join(', ')}) are named`);
    } finally {
      killAll([...(child.pid ? [child.pid] : []), ...workers]);
    }
  });

  it("a run's lock is held while the worker training it lives, even when the parent that took it is gone", async () => {
    const dir = tmp('lock-worker');
    mkdirSync(dir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const worker = spawn('sleep', ['30']);
    try {
      const holder = { pid: dead, host: hostname(), started: new Date().toISOString() };
      writeFileSync(join(dir, 'run.lock'), `${JSON.stringify({ ...holder, worker: { pid: worker.pid } })}\n`);
      assert.equal(lockState(dir).state, 'held', 'its worker may still be writing the run');
      worker.kill('SIGKILL');
      assert.ok(await waitFor(() => processGone(worker.pid!), 5000));
      assert.equal(lockState(dir).state, 'stale', 'both gone: another process may take the run over');
    } finally {
      killAll(worker.pid ? [worker.pid] : []);
    }
  });
});
