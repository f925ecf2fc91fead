// Claims that cannot be fooled (issue 24): claims checked before training (item 6), and one verdict only on a
// folder of one configuration (item 3).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { loadExperiment, resolveExperiment } from '../src/config/load';
import { UserError } from '../src/errors';
import { cli, ROOT } from './cli-runner';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `ln-repro-${name}-`));
const noStack = (text: string) => assert.doesNotMatch(text, /\n\s+at |internal error/, `no stack trace: ${text}`);

/** A 4-run tiny MLP sweep (norm x seed, 2 epochs) with the claims given. */
function tinyExperiment(expect: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'claims6',
    data: { train: 64, test: 32, seed: 1 },
    model: { kind: 'mlp', hidden: [16], norm: 'none' },
    train: { batchSize: 16, epochs: 2, learningRate: 0.01, seed: 1 },
    sweep: { 'model.norm': ['none', 'layer'], 'train.seed': [1, 2] },
    expect,
    ...extra,
  };
}

/** A claim of the tiny experiment, with `fields` replacing its compare (or adding a degradation or spread). */
function claim(fields: Record<string, unknown>): Record<string, unknown> {
  const base = { id: 'c1', claim: 'something', paper: 'Fig. 1', metric: 'train_nll' };
  const kind = 'degradation' in fields || 'spread' in fields ? {} : { compare: compare() };
  return { ...base, ...kind, ...fields };
}
const compare = (a: unknown = { 'model.norm': 'layer' }, b: unknown = { 'model.norm': 'none' }) => ({
  a,
  b,
  relation: '<',
});

function writeExperiment(doc: Record<string, unknown>): string {
  const file = join(tmp('claims'), 'exp.yaml');
  writeFileSync(file, YAML.stringify(doc));
  return file;
}

/** Loading refuses with a UserError naming the file and every one of `parts`. */
function assertRefused(doc: Record<string, unknown>, parts: (string | RegExp)[], sets: string[] = []): void {
  const file = writeExperiment(doc);
  assert.throws(
    () => loadExperiment({ file, sets }),
    (err: unknown) => {
      assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
      assert.ok(err.message.includes(file), `names the file: ${err.message}`);
      for (const p of parts) {
        if (typeof p === 'string') assert.ok(err.message.includes(p), `message lacks "${p}": ${err.message}`);
        else assert.match(err.message, p);
      }
      return true;
    },
  );
}

describe('issue 24, item 6: claims are checked before training', () => {
  it('refuses a selector value no run takes ({model.norm: layr}), with a did-you-mean', () =>
    assertRefused(tinyExperiment([claim({ compare: compare({ 'model.norm': 'layr' }) })]), [
      'expect[0] (c1)',
      'model.norm',
      '"layr"',
      'did you mean "layer"',
    ]));

  it('refuses a seed given as text where the config holds a number (train.seed: "1")', () =>
    assertRefused(
      tinyExperiment([claim({ compare: compare({ 'model.norm': 'layer', 'train.seed': '1' }, { 'train.seed': 2 }) })]),
      ['expect[0] (c1)', 'train.seed', '"1"', 'number'],
    ));

  it('refuses a value of the right type that no run takes (model.hidden: [32] where every run has [16])', () =>
    assertRefused(tinyExperiment([claim({ compare: compare({ 'model.hidden': [32] }) })]), [
      'expect[0] (c1)',
      'model.hidden',
      '[32]',
      '[16]',
    ]));

  it('refuses a metric the task does not write (test_bound on an MLP)', () =>
    assertRefused(tinyExperiment([claim({ metric: 'test_bound' })]), ['expect[0] (c1)', 'test_bound']));

  it('refuses an epoch past train.epochs (epoch 99 of 2)', () =>
    assertRefused(tinyExperiment([claim({ epoch: 99 })]), ['expect[0] (c1)', 'epoch', '99', 'train.epochs']));

  it('refuses a degradation whose key is not swept', () =>
    assertRefused(
      tinyExperiment([
        claim({
          degradation: {
            key: 'train.batchSize',
            from: 16,
            to: 8,
            a: { 'model.norm': 'layer' },
            b: { 'model.norm': 'none' },
            relation: '<',
          },
        }),
      ]),
      ['expect[0] (c1)', 'degradation.key', 'train.batchSize', 'not swept'],
    ));

  it('refuses a degradation from a value to itself', () =>
    assertRefused(
      tinyExperiment([
        claim({
          degradation: {
            key: 'train.seed',
            from: 1,
            to: 1,
            a: { 'model.norm': 'layer' },
            b: { 'model.norm': 'none' },
            relation: '<',
          },
        }),
      ]),
      ['expect[0] (c1)', 'degradation', 'from', 'to'],
    ));

  it('refuses a spread over values: [1, 1] (one distinct value: a spread of 0)', () =>
    assertRefused(
      tinyExperiment([
        claim({ spread: { key: 'train.seed', values: [1, 1], a: { 'model.norm': 'layer' }, bound: 1, relation: '<' } }),
      ]),
      ['expect[0] (c1)', 'spread.values', '2 distinct'],
    ));

  it('refuses a spread whose key is not swept, or swept over one value', () => {
    const spread = { key: 'train.seed', a: { 'model.norm': 'layer' }, bound: 1, relation: '<' };
    assertRefused(tinyExperiment([claim({ spread: { ...spread, key: 'train.batchSize' } })]), [
      'expect[0] (c1)',
      'spread.key',
      'train.batchSize',
      'not swept',
    ]);
    assertRefused(
      tinyExperiment([claim({ spread })], { sweep: { 'model.norm': ['none', 'layer'], 'train.seed': [1] } }),
      ['expect[0] (c1)', 'spread', 'train.seed', '2 distinct'],
    );
  });

  it('refuses a compare with an empty selector, or with the same selector on both sides', () => {
    assertRefused(tinyExperiment([claim({ compare: compare({}) })]), ['expect[0] (c1)', 'compare.a', 'empty']);
    assertRefused(tinyExperiment([claim({ compare: compare({ 'model.norm': 'layer' }, { 'model.norm': 'layer' }) })]), [
      'expect[0] (c1)',
      'compare',
      'same runs',
    ]);
  });

  it('refuses a group that the exclude list leaves without a run', () =>
    assertRefused(
      tinyExperiment([claim({ compare: compare({ 'model.norm': 'layer', 'train.seed': 1 }) })], {
        exclude: [{ 'model.norm': 'layer', 'train.seed': 1 }],
      }),
      ['expect[0] (c1).compare.a', 'no run has', 'exclude'],
    ));

  it('still loads a claim over values a --set narrowed the sweep away from (one sweep point run alone)', () => {
    const file = writeExperiment(tinyExperiment([claim({})]));
    const exp = loadExperiment({ file, sets: ['model.norm=layer'] });
    assert.deepEqual(
      exp.runs.map((r) => r.runId),
      ['norm=layer,seed=1', 'norm=layer,seed=2'],
    );
  });

  it('run refuses a bad claim before training: exit 2, the file, claim and key named, nothing written', () => {
    const file = writeExperiment(tinyExperiment([claim({ compare: compare({ 'model.norm': 'layr' }) })]));
    const out = join(tmp('run6'), 'out');
    const r = cli(['run', file, '--out', out, '--quiet']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /exp\.yaml: expect\[0\] \(c1\)\.compare\.a\.model\.norm: .*"layr".*did you mean "layer"/);
    noStack(r.stderr);
    assert.equal(existsSync(out), false, 'nothing written');
  });

  it('check on an existing folder refuses a bad claim in its experiment.yaml (exit 2, not MISSING)', () => {
    const dir = join(tmp('check6'), 'claims6');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'experiment.yaml'),
      YAML.stringify(tinyExperiment([claim({ compare: compare({ 'model.norm': 'layer', 'train.seed': '1' }) })])),
    );
    const r = cli(['check', dir]);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /experiment\.yaml: expect\[0\] \(c1\)\.compare\.a\.train\.seed: .*"1"/);
    assert.doesNotMatch(r.stdout, /MISSING/);
    noStack(r.stderr);
  });
});

describe('issue 24, item 6 (review P2): degenerate claims are found by the runs they select, not by their text', () => {
  // data.seed is 1 in every run, so {model.norm: layer, data.seed: 1} selects exactly the runs {model.norm: layer} does.
  const layer = { 'model.norm': 'layer' };
  const layerSeeded = { 'model.norm': 'layer', 'data.seed': 1 };

  it('refuses a compare whose groups are written differently but select the same runs', () =>
    assertRefused(tinyExperiment([claim({ compare: compare(layer, layerSeeded) })]), [
      'expect[0] (c1).compare',
      'same runs',
      'norm=layer,seed=1',
    ]));

  it('refuses a degradation whose a and b groups select the same runs', () =>
    assertRefused(
      tinyExperiment([
        claim({ degradation: { key: 'train.seed', from: 1, to: 2, a: layerSeeded, b: layer, relation: '<' } }),
      ]),
      ['expect[0] (c1).degradation', 'same runs'],
    ));

  it('refuses a spread whose a and b groups select the same runs', () =>
    assertRefused(tinyExperiment([claim({ spread: { key: 'train.seed', a: layer, b: layerSeeded, relation: '<' } })]), [
      'expect[0] (c1).spread',
      'same runs',
    ]));

  it('still loads groups that name a fixed key but select different runs', () => {
    const file = writeExperiment(tinyExperiment([claim({ compare: compare(layerSeeded, { 'model.norm': 'none' }) })]));
    assert.equal(loadExperiment({ file }).claims.length, 1);
  });
});

describe('issue 24, item 8 (review P3): the checks across keys do not run on values already refused', () => {
  /** The message of loading the tiny experiment with `data` and `model` replaced, or undefined when it loads. */
  function refusal(data: Record<string, unknown>, model: Record<string, unknown> = {}, train = {}): string | undefined {
    const base = tinyExperiment([]);
    const doc = { ...base, sweep: undefined, expect: undefined, data: { ...(base.data as object), ...data } };
    const file = writeExperiment({
      ...doc,
      model: { ...(base.model as object), ...model },
      train: { ...(base.train as object), ...train },
    });
    try {
      loadExperiment({ file });
    } catch (err) {
      assert.ok(err instanceof UserError, String(err));
      return err.message;
    }
    return undefined;
  }

  it('data.train: 1.5 is one error, not also the batch-size checks that read it', () => {
    assert.match(refusal({ train: 1.5 }) ?? '', /exp\.yaml: data\.train: expected integer, found 1\.5$/);
    // nor the batch-norm check that needs data.train >= 2
    assert.match(
      refusal({ train: 1.5 }, { norm: 'batch' }) ?? '',
      /exp\.yaml: data\.train: expected integer, found 1\.5$/,
    );
  });

  it('a check across keys still runs when only another key is refused', () => {
    const message = refusal({ test: 1.5 }, { norm: 'batch' }, { batchSize: 1 }) ?? '';
    assert.match(message, /data\.test: expected integer, found 1\.5/);
    assert.match(message, /train\.batchSize: .*needs at least 2 examples per batch/);
  });

  it('the batch-size message names the value once, without a trailing ", found"', () => {
    const message = refusal({ train: 8 }) ?? '';
    assert.match(message, /train\.batchSize: 16 is larger than data\.train \(8\)/);
    assert.doesNotMatch(message, /found 16$/);
  });
});

describe('issue 24, item 6 (review P6): a claim refused today leaves a folder readable to summary and report', () => {
  it('summary and report warn and go on; check still refuses it (exit 2)', () => {
    const file = writeExperiment({
      ...tinyExperiment([], { sweep: { 'train.seed': [1, 2] } }),
      model: { kind: 'mlp', hidden: [16], norm: 'layer' },
      train: { batchSize: 16, epochs: 1, learningRate: 0.01, seed: 1 },
      expect: undefined,
    });
    const out = tmp('old-claims');
    const run = cli(['run', file, '--out', out, '--jobs', '1', '--quiet', '--no-report']);
    assert.equal(run.code, 0, run.stderr);
    // As an older ln-repro wrote it: a spread over one distinct value, refused since.
    const exp = join(out, 'claims6');
    const doc = YAML.parse(readFileSync(join(exp, 'experiment.yaml'), 'utf8')) as Record<string, unknown>;
    const spread = { key: 'train.seed', values: [1, 1], a: { 'model.norm': 'layer' }, bound: 1, relation: '<' };
    writeFileSync(join(exp, 'experiment.yaml'), YAML.stringify({ ...doc, expect: [claim({ spread })] }));
    const refused = /experiment\.yaml: expect\[0\] \(c1\)\.spread\.values: .*2 distinct values/;

    const summary = cli(['summary', exp]);
    assert.equal(summary.code, 0, summary.stderr);
    assert.match(summary.stdout, /2 run\(s\), 2 complete/);
    assert.match(summary.stderr, new RegExp(`^ln-repro: warning: .*${refused.source}[^\n]*\n$`), 'one warning line');
    const report = cli(['report', exp]);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stderr, refused);
    assert.ok(existsSync(join(exp, 'report.md')));

    const check = cli(['check', exp]);
    assert.equal(check.code, 2, check.stdout);
    assert.match(check.stderr, refused);
    assert.doesNotMatch(check.stderr, /warning/);
    noStack(check.stderr);
  });

  it('a folder keeps its valid claims; each refused one is reported as check would refuse it', () => {
    const good = claim({ id: 'good' });
    const misspelt = claim({ id: 'misspelt', metric: 'test_eror' });
    const same = claim({ id: 'same', compare: compare({ 'model.norm': 'layer' }, { 'model.norm': 'layer' }) });
    const source = tinyExperiment([misspelt, good, same]);
    const refused: string[] = [];
    const exp = resolveExperiment('f.yaml', source, { selectRuns: false, refused: (m) => refused.push(m) });
    assert.deepEqual(
      exp.claims.map((c) => c.id),
      ['good'],
    );
    assert.equal(refused.length, 2, refused.join('\n'));
    assert.match(refused[0], /^f\.yaml: expect\[0\]\.metric: .*"test_eror".*did you mean "test_error"/);
    assert.match(refused[1], /^f\.yaml: expect\[2\] \(same\)\.compare: .*same selector/);
    assert.throws(() => resolveExperiment('f.yaml', source, { selectRuns: false }), /expect\[0\]\.metric/);
  });
});

describe('issue 24, item 3: no single verdict on a folder of mixed configurations', () => {
  const CONFIG = join(ROOT, 'test', 'fixtures', 'tiny-claims.yaml');
  const run = (out: string, ...args: string[]) => {
    const r = cli(['run', CONFIG, '--out', out, '--jobs', '1', '--quiet', ...args]);
    assert.equal(r.code, 0, r.stderr);
  };
  /** summary, check and report each refuse the folder: exit 2, naming `runIds` and `keys`, no stack. */
  function assertRefusedMixed(exp: string, runIds: string[], keys: string[]): void {
    const report = join(exp, 'report.md');
    const before = existsSync(report) ? readFileSync(report, 'utf8') : undefined;
    for (const command of ['summary', 'check', 'report']) {
      const r = cli([command, exp]);
      assert.equal(r.code, 2, `${command}: ${r.stdout}`);
      for (const id of runIds) assert.ok(r.stderr.includes(id), `${command} names ${id}: ${r.stderr}`);
      for (const key of keys) assert.ok(r.stderr.includes(key), `${command} names ${key}: ${r.stderr}`);
      assert.match(r.stderr, /another config than .*experiment\.yaml[\s\S]*--allow-mixed/);
      noStack(r.stderr);
    }
    assert.equal(existsSync(report) ? readFileSync(report, 'utf8') : undefined, before, 'no report written');
  }

  it('two shards run with different --set: summary, check and report exit 2 naming the runs and keys', () => {
    const out = tmp('mixed-shards');
    run(out, '--shard', '1/2', '--set', 'train.epochs=1');
    run(out, '--shard', '2/2', '--set', 'train.learningRate=0.05');
    const exp = join(out, 'tiny-claims');
    // Shard 1 trained norm=none,seed=1 and norm=layer,seed=1 with epochs 1 and the file's learning rate 0.01.
    assertRefusedMixed(exp, ['norm=none,seed=1', 'norm=layer,seed=1'], ['train.epochs', 'train.learningRate']);
    const summary = cli(['summary', exp]);
    assert.doesNotMatch(summary.stderr, /norm=(none|layer),seed=2/, 'the runs of experiment.yaml are not listed');

    // --allow-mixed: the runs are labelled, in the output, summary.csv and the report (with their own settings).
    const allowed = cli(['summary', exp, '--allow-mixed']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /norm=none,seed=1: .*train\.epochs=1 \(experiment\.yaml: 2\)/);
    assert.match(readFileSync(join(exp, 'summary.csv'), 'utf8'), /"norm=none,seed=1",none,1,complete,"?other config/);
    const check = cli(['check', exp, '--allow-mixed']);
    assert.ok(check.code === 0 || check.code === 1, check.stderr);
    assert.match(
      check.stdout,
      /another config than experiment\.yaml[\s\S]*norm=layer,seed=1 \(complete\): .*train\.learningRate=0\.01/,
    );
    assert.match(check.stdout, /anything-trains[\s\S]*other config: norm=layer,seed=1/);
    const report = cli(['report', exp, '--allow-mixed']);
    assert.equal(report.code, 0, report.stderr);
    const md = readFileSync(join(exp, 'report.md'), 'utf8');
    assert.match(md, /another config than `experiment\.yaml`/);
    assert.match(md, /norm=layer,seed=1 \| train\.epochs \| 1 \| 2 \|/);
  });

  it('a rerun with a changed --set stopped after one run: refused, and run reruns exactly the other runs', () => {
    const out = tmp('mixed-rerun');
    run(out);
    // The rerun with model.epsilon=0.001 trained only its first run before it stopped (as if interrupted).
    run(out, '--set', 'model.epsilon=0.001', '--shard', '1/4');
    const exp = join(out, 'tiny-claims');
    assertRefusedMixed(exp, ['norm=none,seed=2', 'norm=layer,seed=1', 'norm=layer,seed=2'], ['model.epsilon']);
    assert.doesNotMatch(cli(['check', exp]).stderr, /norm=none,seed=1/, 'the run of the new config is not listed');
    const rerun = cli(['run', CONFIG, '--out', out, '--jobs', '1', '--set', 'model.epsilon=0.001', '--no-report']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /3 to run, 1 already done/, 'run reruns the runs of another config, and only those');
    assert.equal(cli(['summary', exp]).code, 0);
    assert.equal(cli(['check', exp]).code, 0);
  });
});

describe('issue 24 (review P8): one definition of each helper the config and the results share', () => {
  /** The files of src/ (`src/config/paths.ts`) with a line that `pattern` matches, once per such line. */
  function definitions(pattern: RegExp): string[] {
    const src = join(ROOT, 'src');
    return readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        readFileSync(join(src, f), 'utf8')
          .split('\n')
          .flatMap((line) => (pattern.test(line) ? [`src/${f}`] : [])),
      );
  }

  it('a map is told from a list or a scalar in one place (src/util/values.ts)', () =>
    assert.deepEqual(definitions(/typeof (\w+) === 'object' && \1 !== null && !Array\.isArray\(\1\)/), [
      'src/util/values.ts',
    ]));

  it("a claim's group is matched against a config in one place (src/config/paths.ts)", () =>
    assert.deepEqual(definitions(/\.every\(\(\[path, value\]\) => sameValue\(getAt\(/), ['src/config/paths.ts']));
});
