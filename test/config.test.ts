// Config loading: valid, partial and invalid fixtures; --set overrides; sweep expansion and run ids.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment, loadExperiments } from '../src/config/load';
import { runIdOf, sweepCombinations } from '../src/config/sweep';
import { UserError } from '../src/errors';
import { MODELS } from '../src/models/catalog';

export const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const fixture = (name: string) => join(FIXTURES, name);

/** Loading must fail with a UserError whose message names the file and contains every `parts`. */
function assertRejects(file: string, parts: (string | RegExp)[], sets: string[] = []) {
  assert.throws(
    () => loadExperiment({ file, sets }),
    (err: unknown) => {
      assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
      assert.ok(err.message.includes(file), `message does not name the file: ${err.message}`);
      for (const p of parts) {
        if (typeof p === 'string') assert.ok(err.message.includes(p), `message lacks "${p}": ${err.message}`);
        else assert.match(err.message, p);
      }
      return true;
    },
  );
}

describe('config: valid files', () => {
  it('fills every default of a partial config', () => {
    const exp = loadExperiment({ file: fixture('valid-partial.yaml') });
    assert.equal(exp.runs.length, 1);
    assert.equal(exp.runs[0].runId, 'default');
    assert.deepEqual(exp.runs[0].config, {
      name: 'partial',
      description: '',
      data: { source: 'bundled', dir: 'data/mnist', train: 400, test: 200, seed: 0, permute: false, view: 'flat' },
      model: {
        kind: 'mlp',
        hidden: [1000, 1000],
        activation: 'relu',
        norm: 'none',
        epsilon: 1e-5,
        gainInit: 1,
        biasInit: 0,
        bnStats: 'population',
        bnStatsBatch: 5000,
        bnMomentum: 0.9,
        groups: 32,
      },
      train: {
        optimizer: 'adam',
        learningRate: 1e-3,
        batchSize: 128,
        epochs: 10,
        seed: 1,
        adamBeta1: 0.9,
        adamBeta2: 0.999,
        adamEpsilon: 1e-8,
      },
    });
    assert.ok(Object.isFrozen(exp.runs[0].config.model), 'resolved configs are frozen');
  });

  it('expands a sweep as nested loops, first key slowest, with readable run ids', () => {
    const exp = loadExperiment({ file: fixture('valid-full.yaml') });
    assert.deepEqual(
      exp.runs.map((r) => r.runId),
      [
        'norm=none,seed=1',
        'norm=none,seed=2',
        'norm=layer,seed=1',
        'norm=layer,seed=2',
        'norm=batch,seed=1',
        'norm=batch,seed=2',
      ],
    );
    assert.equal(exp.runs[3].config.model.norm, 'layer');
    assert.equal(exp.runs[3].config.train.seed, 2);
    assert.equal(exp.runs[3].config.model.gainInit, 0.5, 'unswept keys keep their values');
  });
});

describe('config: --set overrides', () => {
  const file = fixture('valid-full.yaml');

  it('parses values to the key type', () => {
    const exp = loadExperiment({
      file,
      sets: ['train.epochs=1', 'model.hidden=[256,256]', 'data.permute=false', 'description=123'],
    });
    const c = exp.runs[0].config;
    assert.equal(c.train.epochs, 1);
    assert.deepEqual(c.model.kind === 'mlp' && c.model.hidden, [256, 256]);
    assert.equal(c.data.permute, false);
    assert.equal(c.description, '123', 'a text key keeps text');
  });

  it('narrows the sweep of a key it sets to that value, and can set a sweep', () => {
    assert.deepEqual(
      loadExperiment({ file, sets: ['model.norm=layer'] }).runs.map((r) => r.runId),
      ['norm=layer,seed=1', 'norm=layer,seed=2'],
    );
    assert.deepEqual(
      loadExperiment({ file, sets: ['sweep.train.seed=[5]'] }).runs.map((r) => r.runId),
      ['norm=none,seed=5', 'norm=layer,seed=5', 'norm=batch,seed=5'],
    );
  });

  it('rejects an unknown path with the nearest valid key', () =>
    assertRejects(file, ['train.epoch', 'did you mean "train.epochs"'], ['train.epoch=1']));
  it('rejects a value of the wrong type', () =>
    assertRejects(file, ['train.epochs', 'expected number', '"one"'], ['train.epochs=one']));
  it('rejects an assignment without =', () => assertRejects(file, ['expected path=value'], ['train.epochs']));
});

describe('config: several experiments in one file', () => {
  const two = fixture('two-experiments.yaml');
  it('loads each YAML document as an experiment, --set applying to every one', () => {
    const exps = loadExperiments({ file: two, sets: ['train.epochs=2'] });
    assert.deepEqual(
      exps.map((e) => e.name),
      ['two-a', 'two-b'],
    );
    assert.deepEqual(
      exps.map((e) => e.runs.length),
      [2, 1],
    );
    assert.ok(exps.every((e) => e.runs.every((r) => r.config.train.epochs === 2)));
    assert.throws(() => loadExperiment({ file: two }), /expected one experiment, found 2/);
  });
  it('names the experiment an error is in', () =>
    assertRejects(two, ['(experiment 2: two-b)', 'model.hidden', 'expected number'], ['model.hidden=[4]']));
  it('rejects two experiments of one name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ln-repro-two-'));
    const file = join(dir, 'same.yaml');
    writeFileSync(file, readFileSync(two, 'utf8').replace('name: two-b', 'name: two-a'));
    assertRejects(file, ['two experiments share the name "two-a"']);
  });
});

describe('config: retrieval', () => {
  const retrieval = join(__dirname, '..', '..', 'configs', 'retrieval.yaml');
  it('fills the strip and margin defaults that depend on other keys', () => {
    const runs = loadExperiment({ file: retrieval, sets: ['data.minDigits=2', 'sweep.train.seed=[1]'] }).runs;
    const byLoss = (loss: string) => runs.find((r) => r.swept['model.loss'] === loss)!.config;
    const margin = (loss: string) => (byLoss(loss).model as { margin?: number }).margin;
    assert.equal(margin('order'), 0.05);
    assert.equal(margin('contrastive'), 0.2);
    const data = byLoss('order').data;
    assert.deepEqual(data.view === 'strips' ? [data.minDigits, data.maxDigits] : [], [2, 3]);
  });
  const mlp = fixture('valid-full.yaml');
  it('rejects strips for a classifier', () =>
    assertRejects(mlp, ['data.view', 'retrieval strips'], ['data.view=strips']));
  it('rejects digit counts outside strips', () =>
    assertRejects(mlp, ['data.view', 'strips only'], ['data.maxDigits=2']));
  it('rejects more minimum digits than maximum', () =>
    assertRejects(retrieval, ['data.minDigits', 'must not exceed'], ['data.minDigits=4']));
  it('rejects batch norm on a GRU encoder', () =>
    assertRejects(retrieval, ['model.norm', 'LSTM cell only'], ['model.norm=batch']));
  it('rejects a misspelt retrieval key', () =>
    assertRejects(retrieval, ['model.embedDims', 'did you mean "model.embedDim"'], ['model.embedDims=8']));
  it("rejects a claim on a column its task does not measure, naming the task's columns", () =>
    assertRejects(
      retrieval,
      [
        'expect[0] (ln-gru-caption-recall).metric: test_error is not measured by the retrieval task',
        'claims may compare train_ranking_loss, caption_r1',
      ],
      ['expect[0].metric=test_error'],
    ));
});

describe('config: batch norm and batches of one', () => {
  const file = fixture('valid-full.yaml'); // sweeps model.norm over none, layer, batch and train.seed over 1, 2
  const ids = (sets: string[]) => loadExperiment({ file, sets }).runs.map((r) => r.runId);

  it('rejects batch norm at batch size 1, naming train.batchSize and why', () =>
    assertRejects(
      file,
      ['train.batchSize', 'batch norm needs at least 2 examples per batch', 'found 1'],
      ['train.batchSize=1'],
    ));
  it('rejects batch norm on a single training example', () =>
    assertRejects(file, ['data.train', 'at least 2 training examples'], ['data.train=1', 'model.norm=batch']));
  it('accepts batch size 1 without batch norm', () =>
    assert.deepEqual(ids(['train.batchSize=1', 'model.norm=layer']), ['norm=layer,seed=1', 'norm=layer,seed=2']));

  it('exclude: removes the matching sweep points before validation; the other runs keep their ids', () => {
    const all = ids(['sweep.train.batchSize=[8,1]', 'model.norm=layer']);
    assert.deepEqual(all, [
      'norm=layer,seed=1,batchSize=8',
      'norm=layer,seed=1,batchSize=1',
      'norm=layer,seed=2,batchSize=8',
      'norm=layer,seed=2,batchSize=1',
    ]);
    const kept = ids(['sweep.train.batchSize=[8,1]', 'exclude=[{train.batchSize: 1, model.norm: batch}]']);
    assert.equal(kept.length, 10);
    assert.ok(
      !kept.includes('norm=batch,seed=1,batchSize=1') &&
        kept.includes('norm=layer,seed=1,batchSize=1') &&
        kept.includes('norm=batch,seed=2,batchSize=8'),
    );
    assert.deepEqual(
      kept.filter((id) => id.startsWith('norm=layer')),
      all,
      'ids do not change',
    );
    const exp = loadExperiment({ file, sets: ['exclude=[{model.norm: none}, {model.norm: batch, train.seed: 2}]'] });
    assert.deepEqual(
      exp.runs.map((r) => r.runId),
      ['norm=layer,seed=1', 'norm=layer,seed=2', 'norm=batch,seed=1'],
    );
    assert.deepEqual(exp.exclude, [{ 'model.norm': 'none' }, { 'model.norm': 'batch', 'train.seed': 2 }]);
  });
  it('exclude: an entry that matches nothing (e.g. after --set narrowed the sweep) removes nothing', () =>
    assert.deepEqual(ids(['model.norm=layer', 'exclude=[{model.norm: batch}]']), [
      'norm=layer,seed=1',
      'norm=layer,seed=2',
    ]));
  it('configs/mnist-batch-sweep.yaml runs every batch size but 1 for batch norm, and compares spreads over 4-128', () => {
    const exp = loadExperiment({ file: join(__dirname, '..', '..', 'configs', 'mnist-batch-sweep.yaml') });
    assert.equal(exp.runs.length, 5 * 3 * 3 - 3);
    assert.ok(!exp.runs.some((r) => r.config.model.norm === 'batch' && r.config.train.batchSize === 1));
    assert.equal(exp.runs.filter((r) => r.config.train.batchSize === 1).length, 6);
    assert.deepEqual(exp.claims.find((c) => c.id === 'ln-robust-to-batch-size')?.spread?.values, [4, 16, 64, 128]);
  });
  it('exclude: rejects a key that is not swept', () =>
    assertRejects(
      file,
      ['exclude[0].train.batchSize', 'not a swept key', 'model.norm, train.seed'],
      ['exclude=[{train.batchSize: 1}]'],
    ));
  it('exclude: rejects a value the key cannot take (a typo would silently exclude nothing)', () =>
    assertRejects(
      file,
      ['exclude[0].model.norm', 'none | layer | batch', '"bacth"', 'did you mean "batch"'],
      ['exclude=[{model.norm: bacth}]'],
    ));
  it('exclude: rejects an empty entry', () => assertRejects(file, ['exclude[0]', 'empty entry'], ['exclude=[{}]']));
  it('exclude: rejects excluding every point', () =>
    assertRejects(file, ['every point of the sweep is excluded'], ['exclude=[{train.seed: 1}, {train.seed: 2}]']));
  it('exclude: rejects a list of the wrong shape', () =>
    assertRejects(file, ['exclude[0]', 'expected object'], ['exclude=[1]']));
});

describe('config: one fixture per error class', () => {
  const cases: [string, (string | RegExp)[]][] = [
    ['invalid-yaml.yaml', ['YAML syntax error', /invalid-yaml\.yaml:\d+:\d+/]],
    ['duplicate-key.yaml', ['YAML syntax error', 'unique']],
    ['not-mapping.yaml', ['expected a YAML mapping']],
    ['unknown-key.yaml', ['model.nrom', 'unknown key', 'did you mean "norm"']],
    ['unknown-section.yaml', ['trian', 'did you mean "train"']],
    ['wrong-type.yaml', ['train.epochs', 'expected number', '"three"']],
    ['bad-enum.yaml', ['model.norm', 'none | layer | batch', '"lyer"', 'did you mean "layer"']],
    ['bad-kind.yaml', ['model.kind', 'mlp', '"transformer"']],
    ['missing-required.yaml', ['data.train', 'missing']],
    ['impossible-value.yaml', ['train.batchSize', '> 0', 'found 0']],
    ['bad-name.yaml', ['name', 'folder']],
    ['bad-sweep-key.yaml', ['sweep', 'model.nrom', 'did you mean "model.norm"']],
    ['bad-sweep-value.yaml', ['sweep.model.norm', '"instance"']],
    ['conv-flat.yaml', ['data.view', 'conv image']],
    [
      'bad-claim.yaml',
      ['expect[0].metric', 'test_error | test_nll | train_nll', '"test_eror"', 'did you mean "test_error"'],
    ],
    ['bad-claim-path.yaml', ['expect[0] (c1)', 'model.nrom', 'did you mean "model.norm"']],
  ];
  for (const [name, parts] of cases) it(name, () => assertRejects(fixture(name), parts));

  it('a missing file', () => assertRejects(fixture('no-such-file.yaml'), ['cannot read config', 'ENOENT']));
});

describe('shipped configs', () => {
  const configs = join(__dirname, '..', '..', 'configs');
  const files = readdirSync(configs, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml'));

  it('are all found', () => assert.ok(files.length >= 10, files.join(', ')));
  it('include configs/paper/: every experiment at the paper size, on the real MNIST, with a GPU runtime', () => {
    const paper = ['conv', 'draw', 'gain-init', 'mnist-pi', 'retrieval', 'seq-mnist'].map((n) =>
      join('paper', `${n}.yaml`),
    );
    for (const f of paper) {
      assert.ok(files.includes(f), `${f} among ${files.join(', ')}`);
      for (const e of loadExperiments({ file: join(configs, f) }))
        for (const r of e.runs) assert.equal(r.config.data.source, 'mnist', `${f} ${r.runId}`);
      assert.match(readFileSync(join(configs, f), 'utf8'), /H200 with --backend webgpu/, `${f}: its runtime on a GPU`);
    }
    // The handwriting experiment's data are pen strokes, not digits.
    const f = join('paper', 'handwriting.yaml');
    assert.ok(files.includes(f), `${f} among ${files.join(', ')}`);
    for (const e of loadExperiments({ file: join(configs, f) }))
      for (const r of e.runs) assert.equal(r.config.data.source, 'hanzi', `${f} ${r.runId}`);
    assert.match(readFileSync(join(configs, f), 'utf8'), /H200 with --backend webgpu/, `${f}: its runtime on a GPU`);
  });
  for (const f of files) {
    it(`${f} is valid, opens with its command, and states every numerically sensitive value`, () => {
      const file = join(configs, f);
      const exps = loadExperiments({ file });
      const exp = { runs: exps.flatMap((e) => e.runs) };
      assert.ok(exp.runs.length >= 1);
      const text = readFileSync(file, 'utf8');
      assert.match(text, /^# ln-repro run /, 'the first line is the command that runs it');
      assert.match(text, /Expected runtime: [^\n]*\d/, 'states its expected runtime, in numbers');
      // DRAW and the handwriting network have no batch norm (their schemas refuse the keys); their LSTMs' settings
      // instead.
      const noBatch = exp.runs.every((r) => !('bnStats' in MODELS[r.config.model.kind].schema.shape));
      const norm = noBatch
        ? ['gainInit:', 'biasInit:', 'forgetBias:', 'h0Scale:']
        : ['bnStats:', 'bnStatsBatch:', 'bnMomentum:'];
      for (const key of ['epsilon:', ...norm, 'learningRate:', 'seed:'])
        assert.ok(text.includes(key), `${f} states ${key}`);
    });
  }
});

describe('sweep expansion', () => {
  it('gives one empty combination without a sweep', () => {
    assert.deepEqual(sweepCombinations({}), [{}]);
  });

  it('is the cartesian product in a stable order', () => {
    const combos = sweepCombinations({ a: [1, 2], b: ['x', 'y', 'z'] });
    assert.equal(combos.length, 6);
    assert.deepEqual(combos[0], { a: 1, b: 'x' });
    assert.deepEqual(combos[1], { a: 1, b: 'y' });
    assert.deepEqual(combos[5], { a: 2, b: 'z' });
  });

  it('makes folder-safe ids, with full paths where last segments collide', () => {
    assert.equal(runIdOf({ 'model.hidden': [256, 128], 'train.batchSize': 4 }), 'hidden=256x128,batchSize=4');
    assert.equal(runIdOf({ 'data.seed': 1, 'train.seed': 2 }), 'data.seed=1,train.seed=2');
    assert.equal(runIdOf({ 'data.dir': 'a/b c' }), 'dir=a_b_c');
  });
});

describe('config: train.evalEvery and claims at an update count', () => {
  const file = (step: number) => {
    const path = join(mkdtempSync(join(tmpdir(), 'ln-repro-step-')), 'every.yaml');
    writeFileSync(
      path,
      [
        'name: every',
        'data: {train: 48, test: 24}',
        'model: {kind: mlp, hidden: [8]}',
        'train: {batchSize: 8, epochs: 2, evalEvery: 4}',
        'sweep: {model.norm: [layer, none]}',
        'expect:',
        `  - {id: s, claim: c, paper: p, metric: test_error, step: ${step}, compare: {a: {model.norm: layer}, b: {model.norm: none}, relation: "<"}}`,
      ].join('\n'),
    );
    return path;
  };
  it('takes a claim at an update with a row (every 4, each epoch end at 6 and 12)', () => {
    for (const step of [4, 6, 8, 12]) assert.equal(loadExperiments({ file: file(step) }).length, 1);
  });
  it('with train.evalsPerEpoch, the rows at each third of an epoch (6 updates: 2, 4, 6, 8, 10, 12)', () => {
    for (const step of [2, 4, 10]) {
      const path = file(step);
      writeFileSync(path, readFileSync(path, 'utf8').replace('evalEvery: 4', 'evalsPerEpoch: 3'));
      assert.equal(loadExperiments({ file: path }).length, 1);
    }
    const odd = file(5);
    writeFileSync(odd, readFileSync(odd, 'utf8').replace('evalEvery: 4', 'evalsPerEpoch: 3'));
    assert.throws(() => loadExperiments({ file: odd }), UserError);
  });
  it('refuses an update with no row, or past the last, naming the key', () => {
    for (const step of [5, 13, 16])
      assert.throws(
        () => loadExperiments({ file: file(step) }),
        (e: unknown) =>
          e instanceof UserError && /expect\[0\].*step: run .* writes no metrics row at update/.test(e.message),
      );
  });
});
