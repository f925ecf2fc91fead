// The CLI end to end, as a user runs it: files written, exit codes, nothing written on bad input.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { runConfigSchema, type DataConfig } from '../src/config/schema';
import { RECALL_COLUMNS } from '../src/tasks/retrieval/spec';
import { assertBeatsChance, majorityError, testCaptions, testLabels } from './chance';
import { cli, ROOT } from './cli-runner';

function installed(moduleName: string): boolean {
  try {
    require.resolve(moduleName);
    return true;
  } catch {
    return false;
  }
}

/** The data section of the resolved config a run recorded in its folder. */
const runData = (dir: string): DataConfig =>
  runConfigSchema.parse(YAML.parse(readFileSync(join(dir, 'config.yaml'), 'utf8'))).data;

const TINY = [
  '--set',
  'train.epochs=2',
  '--set',
  'data.train=64',
  '--set',
  'data.test=32',
  '--set',
  'model.hidden=[16]',
  '--set',
  'train.batchSize=16',
  '--quiet',
];

describe('ln-repro run', () => {
  it('trains the three norms of mnist-bs4 and writes metrics, config, run record and summary', () => {
    const out = mkdtempSync(join(tmpdir(), 'ln-repro-cli-'));
    const r = cli(['run', 'configs/mnist-bs4.yaml', ...TINY, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const exp = join(out, 'mnist-bs4');
    for (const norm of ['none', 'layer', 'batch']) {
      const dir = join(exp, `norm=${norm}`);
      const csv = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
      assert.equal(csv[0], 'epoch,step,train_nll,test_nll,test_error,seconds');
      assert.equal(csv.length, 3, 'a header and two epochs');
      const cfg = YAML.parse(readFileSync(join(dir, 'config.yaml'), 'utf8'));
      assert.equal(cfg.model.norm, norm);
      assert.equal(cfg.model.epsilon, 1e-5, 'the resolved config records epsilon');
      const rec = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
      assert.equal(rec.status, 'complete');
      assert.equal(rec.backend, 'wasm');
      assert.equal(rec.tfjs_version, '4.22.0');
      assert.ok(rec.examples_per_second > 0);
      assert.equal(cfg.model.bnStats, 'population', 'the resolved config records what batch norm evaluates with');
      if (norm === 'batch') assert.ok(rec.population_seconds > 0, 'run.json records the population passes');
      else assert.equal(rec.population_seconds, null);
    }
    const summary = readFileSync(join(exp, 'summary.csv'), 'utf8').trim().split('\n');
    assert.equal(
      summary[0],
      'run_id,model.norm,status,epoch,step,train_nll,test_nll,test_error,seconds,examples_per_second',
    );
    assert.deepEqual(
      summary.slice(1).map((l) => l.split(',').slice(0, 3).join(',')),
      ['norm=none,none,complete', 'norm=layer,layer,complete', 'norm=batch,batch,complete'],
    );
    assert.ok(!readFileSync(join(exp, 'summary.csv'), 'utf8').includes('.tmp-'));
    for (const f of ['report.md', 'curves.svg', 'curves.png']) assert.ok(existsSync(join(exp, f)), `run writes ${f}`);
  });

  it('gives identical metrics.csv (apart from seconds) for identical runs', () => {
    const read = (out: string) =>
      readFileSync(join(out, 'mnist-bs4', 'norm=batch', 'metrics.csv'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(',').slice(0, 5).join(','));
    const outs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'ln-repro-det-')));
    for (const out of outs)
      assert.equal(cli(['run', 'configs/mnist-bs4.yaml', ...TINY, '--set', 'model.norm=batch', '--out', out]).code, 0);
    assert.deepEqual(read(outs[0]), read(outs[1]));
  });

  it('exits 1 when a run diverges, marks it diverged and still runs the others', () => {
    const out = mkdtempSync(join(tmpdir(), 'ln-repro-div-'));
    const r = cli([
      'run',
      'configs/mnist-bs4.yaml',
      ...TINY,
      '--set',
      'train.learningRate=1e30',
      '--set',
      'sweep.model.norm=[none,layer]',
      '--out',
      out,
    ]);
    assert.equal(r.code, 1, r.stderr);
    const status = (norm: string) =>
      JSON.parse(readFileSync(join(out, 'mnist-bs4', `norm=${norm}`, 'run.json'), 'utf8')).status;
    assert.equal(status('none'), 'diverged');
    assert.ok(['complete', 'diverged'].includes(status('layer')), 'the second run ran');
    assert.match(readFileSync(join(out, 'mnist-bs4', 'summary.csv'), 'utf8'), /norm=none,none,diverged/);
  });

  it('trains LSTM, LN-LSTM and BN-LSTM on row-by-row sequential MNIST, each well past the commonest digit', () => {
    const out = mkdtempSync(join(tmpdir(), 'ln-repro-seq-'));
    // 2 epochs on 1,000 digits (32 steps): at 1 epoch on 500 (8 steps) the LSTM scored 0.765-0.845 against the
    // commonest digit's 0.83, learning nothing measurable.
    const r = cli([
      'run',
      'configs/seq-mnist.yaml',
      '--set',
      'train.epochs=2',
      '--set',
      'data.train=1000',
      '--set',
      'data.test=200',
      '--set',
      'sweep.train.seed=[1]',
      '--out',
      out,
      '--quiet',
    ]);
    assert.ok(r.code === 0 || r.code === 1, r.stderr); // 1 only if the claim fails at this tiny size
    for (const norm of ['none', 'layer', 'batch']) {
      const dir = join(out, 'seq-mnist', `norm=${norm},seed=1`);
      const rec = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
      assert.equal(rec.status, 'complete', norm);
      // Always answering the commonest digit of this run's 200 test digits scores 0.84. Measured at this size
      // (train seeds 1-3, data seeds 0 and 1): LSTM 0.465-0.55, LN-LSTM 0.325-0.46, BN-LSTM 0.33-0.43. A model
      // blind to its input cannot beat the baseline by 0.1 by luck (4 binomial standard deviations at 200 digits).
      const baseline = majorityError(testLabels(runData(dir)));
      assert.ok(
        rec.final.test_error < baseline - 0.1,
        `${norm} learns something: test error ${rec.final.test_error}, the commonest digit's ${baseline}`,
      );
    }
  });

  it('runs every retrieval model of configs/retrieval.yaml and writes recall@K and mean rank', () => {
    const out = mkdtempSync(join(tmpdir(), 'ln-repro-retrieval-'));
    const r = cli([
      'run',
      'configs/retrieval.yaml',
      '--set',
      'train.epochs=2',
      '--set',
      'train.learningRate=1e-2',
      '--set',
      'data.train=500',
      '--set',
      'data.test=200',
      '--out',
      out,
      '--quiet',
    ]);
    assert.ok(r.code === 0 || r.code === 1, r.stderr); // 1 only if a claim fails at this tiny size
    const exp = join(out, 'retrieval');
    const runs = readFileSync(join(exp, 'summary.csv'), 'utf8').trim().split('\n').slice(1);
    assert.equal(runs.length, 12, 'GRU and LN-GRU, two losses, three seeds');
    for (const loss of ['contrastive', 'order']) {
      for (const norm of ['none', 'layer']) {
        for (const seed of [1, 2, 3]) {
          const dir = join(exp, `loss=${loss},norm=${norm},seed=${seed}`);
          assert.equal(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).status, 'complete');
          const [header, ...rows] = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
          assert.equal(rows.length, 2, 'one row an epoch');
          assert.equal(
            header,
            'epoch,step,train_ranking_loss,caption_r1,caption_r5,caption_r10,caption_mean_rank,image_r1,image_r5,image_r10,image_mean_rank,seconds',
            'the columns of retrieval alone: its loss named for what it is, no classification columns',
          );
          const v = Object.fromEntries(header.split(',').map((k, i) => [k, rows[1].split(',')[i]]));
          // Trained well past chance: 2 epochs (8 steps) at 10 times the shipped learning rate. At the shipped
          // 1e-3, 1 epoch left the order-loss GRU ranking captions worse than chance (mean rank 74.5 against 67.6),
          // and it took 5 epochs to clear the bounds by 20%. Measured at this setting (data seeds 0, 1, 2): R@1/5/10
          // at least 30.5/44/56 (chance 1.8/8.6/15.8 on this split) and mean ranks at most 15.6 (chance 67.6).
          const metrics = Object.fromEntries(RECALL_COLUMNS.map((k) => [k, Number(v[k])]));
          assertBeatsChance(metrics, testCaptions(runData(dir)), dir);
        }
      }
    }
  });

  it('runs every experiment of a file of several, each into its own folder', () => {
    const out = mkdtempSync(join(tmpdir(), 'ln-repro-two-'));
    const r = cli(['run', 'test/fixtures/two-experiments.yaml', '--out', out, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    for (const [name, runs] of [
      ['two-a', 2],
      ['two-b', 1],
    ] as const) {
      assert.equal(
        readFileSync(join(out, name, 'summary.csv'), 'utf8')
          .trim()
          .split('\n').length,
        runs + 1,
        name,
      );
    }
  });

  it('exits 2 on a misspelt key, naming the file and the key, and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ln-repro-bad-'));
    const file = join(dir, 'typo.yaml');
    writeFileSync(
      file,
      readFileSync(join(ROOT, 'configs', 'mnist-bs4.yaml'), 'utf8').replace('learningRate:', 'learningrate:'),
    );
    const out = join(dir, 'out');
    const r = cli(['run', file, '--out', out]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /typo\.yaml: train\.learningrate: unknown key \(did you mean "learningRate"\?\)/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(out), false, 'nothing written');
  });

  it('exits 2 on batch norm at batch size 1, naming train.batchSize, and writes nothing', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ln-repro-bs1-')), 'out');
    const r = cli(['run', 'configs/mnist-bs4.yaml', '--set', 'train.batchSize=1', '--out', out]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /configs\/mnist-bs4\.yaml: train\.batchSize: batch norm needs at least 2 examples per batch .*found 1/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(out), false, 'nothing written');
  });

  it('exits 2 on missing IDX data and says to run make data, writing nothing', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ln-repro-idx-')), 'out');
    const r = cli([
      'run',
      'configs/mnist-bs4.yaml',
      '--set',
      'data.source=idx',
      '--set',
      'data.dir=/nonexistent',
      '--out',
      out,
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing train-images-idx3-ubyte/);
    assert.match(r.stderr, /make data/);
    assert.equal(existsSync(out), false);
  });

  it('exits 2 when the tensorflow backend is asked for but not installed', (t) => {
    if (installed('@tensorflow/tfjs-node-gpu')) return t.skip('@tensorflow/tfjs-node-gpu is installed here');
    const r = cli([
      'run',
      'configs/mnist-bs4.yaml',
      ...TINY,
      '--backend',
      'tensorflow',
      '--out',
      mkdtempSync(join(tmpdir(), 'ln-repro-tf-')),
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /tfjs-node-gpu/);
  });

  it('exits 2 on usage mistakes and 0 on --help and --version', () => {
    assert.equal(cli(['run']).code, 2);
    assert.equal(cli(['run', 'configs/mnist-bs4.yaml', '--backend', 'gpu']).code, 2);
    const help = cli(['run', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Example:/);
    assert.match(cli(['--version']).stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  it('prints one line per epoch per run when not on a terminal', () => {
    const out = mkdtempSync(join(tmpdir(), 'ln-repro-lines-'));
    const r = cli([
      'run',
      'configs/mnist-bs4.yaml',
      ...TINY.filter((a) => a !== '--quiet'),
      '--set',
      'model.norm=layer',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const epochLines = r.stdout.split('\n').filter((l) => / epoch \d+\/2 /.test(l));
    assert.equal(epochLines.length, 2);
    assert.match(r.stdout, /backend: wasm/);
  });
});
