// Sweeps at scale: shards, config hashes and resume, claims on synthetic results, check exit codes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConfigSchema, claimSchema, type Claim } from '../src/config/schema';
import { configHash } from '../src/config/hash';
import { parseShard, shardOf } from '../src/experiments/shard';
import { checkExitCode, evaluateClaim, formatClaim, stats } from '../src/results/claims';
import { readMetrics, type RunResult } from '../src/results/read';
import { wholeEpochs } from '../src/metrics/types';
import { UserError } from '../src/errors';

describe('shards', () => {
  it('are disjoint and cover the runs, for many i/n', () => {
    for (let runs = 0; runs <= 13; runs++) {
      const all = Array.from({ length: runs }, (_, k) => k);
      for (let n = 1; n <= 7; n++) {
        const parts = Array.from({ length: n }, (_, i) => shardOf(all, { index: i + 1, count: n }));
        assert.deepEqual(
          parts.flat().sort((a, b) => a - b),
          all,
          `runs=${runs} n=${n}`,
        );
        assert.ok(Math.max(...parts.map((p) => p.length)) - Math.min(...parts.map((p) => p.length)) <= 1, 'balanced');
      }
    }
    assert.deepEqual(shardOf(['a', 'b', 'c', 'd', 'e'], { index: 2, count: 2 }), ['b', 'd']);
  });

  it('parse i/n and reject the impossible', () => {
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
    for (const bad of ['0/2', '3/2', '1/0', 'a/b', '1', '1/2/3']) assert.throws(() => parseShard(bad), UserError, bad);
  });
});

describe('config hash', () => {
  it('ignores key order and changes with any value', () => {
    const a = runConfigSchema.parse({ name: 'x', data: { train: 200, test: 5 }, model: { kind: 'mlp' } });
    const reordered = JSON.parse(
      JSON.stringify({ train: a.train, model: a.model, data: a.data, description: a.description, name: a.name }),
    );
    assert.equal(configHash(reordered), configHash(a));
    assert.notEqual(configHash({ ...a, train: { ...a.train, seed: 2 } }), configHash(a));
  });
});

function run(
  runId: string,
  values: { norm: string; batchSize: number; seed: number; gainInit?: number },
  errors: number[],
  status = 'complete',
): RunResult {
  const config = runConfigSchema.parse({
    name: 'synthetic',
    data: { train: 200, test: 5 },
    model: { kind: 'mlp', norm: values.norm, gainInit: values.gainInit ?? 1 },
    train: { batchSize: values.batchSize, seed: values.seed },
  });
  const rows = errors.map((e, i) => ({
    epoch: i + 1,
    step: i + 1,
    train_nll: 2 * e,
    test_nll: e,
    test_error: e,
    seconds: 1,
  }));
  return { runId, config, status, rows };
}

/** Synthetic results where LN is better than BN at batch 4 and BN loses more from 128 to 4. */
const RESULTS: RunResult[] = [
  run('l128s1', { norm: 'layer', batchSize: 128, seed: 1 }, [0.1, 0.05]),
  run('l128s2', { norm: 'layer', batchSize: 128, seed: 2 }, [0.1, 0.07]),
  run('l4s1', { norm: 'layer', batchSize: 4, seed: 1 }, [0.1, 0.06]),
  run('l4s2', { norm: 'layer', batchSize: 4, seed: 2 }, [0.1, 0.08]),
  run('b128s1', { norm: 'batch', batchSize: 128, seed: 1 }, [0.1, 0.04]),
  run('b128s2', { norm: 'batch', batchSize: 128, seed: 2 }, [0.1, 0.04]),
  run('b4s1', { norm: 'batch', batchSize: 4, seed: 1 }, [0.1, 0.12]),
  run('b4s2', { norm: 'batch', batchSize: 4, seed: 2 }, [0.1, 0.14]),
];

const claim = (spec: Record<string, unknown>): Claim =>
  claimSchema.parse({ id: 'c', claim: 'a claim', paper: 'Fig. 6', metric: 'test_error', ...spec });
const compareAt4 = {
  compare: {
    a: { 'model.norm': 'layer', 'train.batchSize': 4 },
    b: { 'model.norm': 'batch', 'train.batchSize': 4 },
    relation: '<',
  },
};

describe('claims on synthetic results', () => {
  it('compare: means over seeds, with std and n; pass and fail', () => {
    const r = evaluateClaim(claim(compareAt4), RESULTS);
    assert.equal(r.verdict, 'PASS');
    assert.ok(Math.abs(r.lhs! - 0.07) < 1e-12 && Math.abs(r.rhs! - 0.13) < 1e-12);
    const a = r.groups['model.norm="layer",train.batchSize=4'];
    assert.equal(a.n, 2);
    assert.ok(Math.abs(a.std - Math.SQRT2 * 0.01) < 1e-12);
    assert.equal(evaluateClaim(claim({ compare: { ...compareAt4.compare, relation: '>' } }), RESULTS).verdict, 'FAIL');
    assert.equal(
      evaluateClaim(claim({ compare: { ...compareAt4.compare, margin: 0.1 } }), RESULTS).verdict,
      'FAIL',
      'the margin is required',
    );
    assert.equal(evaluateClaim(claim({ compare: { ...compareAt4.compare, margin: 0.05 } }), RESULTS).verdict, 'PASS');
  });

  it('a negative margin is a tolerance: a may exceed b by less than it, and says so', () => {
    // a 0.13 (batch) vs b 0.07 (layer): a exceeds b by 0.06.
    const reversed = { a: compareAt4.compare.b, b: compareAt4.compare.a, relation: '<' };
    assert.equal(evaluateClaim(claim({ compare: reversed }), RESULTS).verdict, 'FAIL');
    const within = evaluateClaim(claim({ compare: { ...reversed, margin: -0.1 } }), RESULTS);
    assert.equal(within.verdict, 'PASS');
    assert.match(formatClaim(within)[1], /claimed a < b \+ 0\.1 \(a may exceed b by less than 0\.1\)/);
    assert.equal(evaluateClaim(claim({ compare: { ...reversed, margin: -0.05 } }), RESULTS).verdict, 'FAIL');
  });

  it('a chosen epoch instead of the last', () => {
    assert.equal(evaluateClaim(claim({ ...compareAt4, epoch: 1 }), RESULTS).verdict, 'FAIL', 'equal at epoch 1');
  });

  it('a chosen update count (step) instead of an epoch, MISSING where no row has it', () => {
    assert.equal(evaluateClaim(claim({ ...compareAt4, step: 1 }), RESULTS).verdict, 'FAIL', 'the row of epoch 1');
    const none = evaluateClaim(claim({ ...compareAt4, step: 99 }), RESULTS);
    assert.equal(none.verdict, 'MISSING');
    assert.match(none.missing.join(' '), /no row at update 99/);
    assert.equal(claimSchema.safeParse({ ...claim(compareAt4), epoch: 1, step: 5 }).success, false, 'not both');
  });

  it("metrics.csv with train.evalEvery's rows between epochs' ends reads back; rows out of order do not", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ln-repro-every-'));
    const csv = join(dir, 'metrics.csv');
    const head = 'epoch,step,train_nll,test_nll,test_error,seconds\n';
    writeFileSync(csv, `${head}0.5,5,1,1,0.5,1\n1,10,1,1,0.5,2\n1.5,15,1,1,0.5,3\n2,20,1,1,0.5,4\n`);
    const ok = readMetrics(csv, 'train_nll');
    assert.ok(ok.state === 'ok' && wholeEpochs(ok.value) === 2, JSON.stringify(ok));
    for (const [rows, problem] of [
      ['1,10,1,1,0.5,2\n0.5,5,1,1,0.5,1\n', /:3: epoch 0.5 where 2 belongs/],
      ['1.5,15,1,1,0.5,3\n', /:2: epoch 1.5 where 1 belongs/],
      ['0.5,5,1,1,0.5,1\n0.25,3,1,1,0.5,1\n', /:3: epoch 0.25 where 1 belongs/],
    ] as const) {
      writeFileSync(csv, head + rows);
      const bad = readMetrics(csv, 'train_nll');
      assert.ok(bad.state === 'corrupt' && problem.test(bad.message), JSON.stringify(bad));
    }
  });

  it('degradation: the change from one key value to another, compared between groups', () => {
    const spec = {
      degradation: {
        key: 'train.batchSize',
        from: 128,
        to: 4,
        a: { 'model.norm': 'batch' },
        b: { 'model.norm': 'layer' },
        relation: '>',
      },
    };
    const r = evaluateClaim(claim(spec), RESULTS);
    assert.equal(r.verdict, 'PASS');
    assert.ok(Math.abs(r.lhs! - 0.09) < 1e-12 && Math.abs(r.rhs! - 0.01) < 1e-12);
  });

  it('spread: max minus min over a key, against another group or a bound', () => {
    const results = [0.1, 0.3, 1, 3].flatMap((g, i) => [
      run(`l${g}`, { norm: 'layer', batchSize: 4, seed: 1, gainInit: g }, [0.05 + 0.001 * i]),
      run(`b${g}`, { norm: 'batch', batchSize: 4, seed: 1, gainInit: g }, [0.05 + 0.02 * i]),
    ]);
    const spread = { key: 'model.gainInit', a: { 'model.norm': 'layer' }, relation: '<' };
    const vsGroup = evaluateClaim(claim({ spread: { ...spread, b: { 'model.norm': 'batch' } } }), results);
    assert.equal(vsGroup.verdict, 'PASS');
    assert.ok(Math.abs(vsGroup.lhs! - 0.003) < 1e-12 && Math.abs(vsGroup.rhs! - 0.06) < 1e-12);
    assert.equal(evaluateClaim(claim({ spread: { ...spread, bound: 0.01 } }), results).verdict, 'PASS');
    assert.equal(evaluateClaim(claim({ spread: { ...spread, bound: 0.001 } }), results).verdict, 'FAIL');
    // Over listed values only (e.g. the batch sizes both norms ran), and MISSING where one has no run.
    const listed = evaluateClaim(
      claim({ spread: { ...spread, values: [0.1, 0.3], b: { 'model.norm': 'batch' } } }),
      results,
    );
    assert.ok(Math.abs(listed.lhs! - 0.001) < 1e-12 && Math.abs(listed.rhs! - 0.02) < 1e-12);
    const absent = evaluateClaim(claim({ spread: { ...spread, values: [0.1, 10], bound: 1 } }), results);
    assert.equal(absent.verdict, 'MISSING');
    assert.match(absent.missing.join(), /no run has model.norm="layer",model.gainInit=10/);
  });

  it('known deviations: XFAIL while they fail, XPASS once they hold', () => {
    const known = { status: 'known-deviation', reason: 'too small a scale' };
    assert.equal(
      evaluateClaim(claim({ ...compareAt4, ...known, compare: { ...compareAt4.compare, relation: '>' } }), RESULTS)
        .verdict,
      'XFAIL',
    );
    assert.equal(evaluateClaim(claim({ ...compareAt4, ...known }), RESULTS).verdict, 'XPASS');
    assert.throws(() => claim({ ...compareAt4, status: 'known-deviation' }), /reason/);
  });

  it('missing runs, runs not complete and empty groups make a claim MISSING', () => {
    const withoutB4 = RESULTS.filter((r) => !r.runId.startsWith('b4'));
    const r = evaluateClaim(claim(compareAt4), withoutB4);
    assert.equal(r.verdict, 'MISSING');
    assert.match(r.missing.join(), /no run has model.norm="batch",train.batchSize=4/);
    const failed = RESULTS.map((x) => (x.runId === 'b4s2' ? { ...x, status: 'failed' } : x));
    assert.deepEqual(evaluateClaim(claim(compareAt4), failed).missing, ['b4s2: failed']);
    const later = evaluateClaim(claim({ ...compareAt4, epoch: 3 }), RESULTS);
    assert.equal(later.verdict, 'MISSING');
    assert.equal(later.missing[0], 'l4s1: no epoch 3');
  });

  it("a metric the runs' task does not measure is MISSING, and says so", () => {
    const r = evaluateClaim(claim({ ...compareAt4, metric: 'caption_r1' }), RESULTS);
    assert.equal(r.verdict, 'MISSING');
    assert.equal(
      r.missing[0],
      "l4s1: no caption_r1 in its metrics.csv (no such column: this run's task does not measure it)",
    );
    const blank = RESULTS.map((x) => ({
      ...x,
      rows: x.rows.map((row) => ({ ...row, test_error: '' as unknown as number })),
    }));
    const empty = evaluateClaim(claim(compareAt4), blank);
    assert.equal(empty.verdict, 'MISSING', 'an empty cell is no value');
    assert.equal(
      empty.missing[0],
      "l4s1: no test_error in its metrics.csv (an empty cell: this run's task does not measure it)",
    );
  });

  it('check exits 0 when nothing fails, 1 on FAIL or XPASS, 2 when anything is missing', () => {
    const v = (verdict: string) => ({ verdict }) as Parameters<typeof checkExitCode>[0][number];
    assert.equal(checkExitCode([v('PASS'), v('XFAIL')]), 0);
    assert.equal(checkExitCode([v('PASS'), v('FAIL')]), 1);
    assert.equal(checkExitCode([v('XPASS')]), 1);
    assert.equal(checkExitCode([v('FAIL'), v('MISSING')]), 2);
  });

  it('rejects a claim with two kinds or none', () => {
    assert.throws(() => claim({}), /exactly one of compare, degradation, spread/);
    assert.throws(
      () => claim({ ...compareAt4, spread: { key: 'model.gainInit', a: {}, bound: 1, relation: '<' } }),
      /exactly one/,
    );
  });

  it('stats: mean, sample std, n', () => {
    assert.deepEqual(stats([1]), { mean: 1, std: 0, n: 1 });
    assert.deepEqual(stats([1, 3]), { mean: 2, std: Math.SQRT2, n: 2 });
  });
});
