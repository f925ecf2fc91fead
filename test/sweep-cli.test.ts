// Sweeps from the command line: shards then summary equal a whole run, resume, --force, worker crashes, check.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, ROOT } from './cli-runner';

const CONFIG = join(ROOT, 'test', 'fixtures', 'tiny-claims.yaml');

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `ln-repro-${name}-`));
const summary = (out: string) => readFileSync(join(out, 'tiny-claims', 'summary.csv'), 'utf8');
/** summary.csv without the timing columns (seconds, examples_per_second), which differ between runs. */
const timeless = (csv: string) =>
  csv
    .trim()
    .split('\n')
    .map((l) => l.split(',').slice(0, -2).join(','));
/** The runs a `run` command reports complete, in order. */
const trained = (stdout: string) => [...stdout.matchAll(/^\[\d+\/\d+ (.+)\] complete$/gm)].map((m) => m[1]);
const record = (out: string, runId: string) =>
  JSON.parse(readFileSync(join(out, 'tiny-claims', runId, 'run.json'), 'utf8'));

describe('sweeps from the command line', () => {
  it('shards 1/2 and 2/2 into one folder, then summary, equal the whole sweep', () => {
    const whole = tmp('whole');
    assert.equal(cli(['run', CONFIG, '--out', whole, '--jobs', '1', '--quiet']).code, 0);
    const sharded = tmp('sharded');
    const first = cli(['run', CONFIG, '--out', sharded, '--shard', '1/2', '--jobs', '1']);
    assert.equal(first.code, 0, first.stderr);
    // The header line says 4 run(s) whatever the shard: the shard's own line, and the runs it trained, count.
    assert.match(first.stdout, /^2 run\(s\) in shard 1\/2: 2 to run, 0 already done$/m);
    assert.deepEqual(
      trained(first.stdout),
      ['norm=none,seed=1', 'norm=layer,seed=1'],
      'every other run, from the first',
    );
    assert.match(first.stdout, /claims: not checked in a shard/);
    const missing = cli(['summary', join(sharded, 'tiny-claims')]);
    assert.equal(missing.code, 1, 'two runs are still missing');
    assert.match(missing.stdout, /missing +norm=none,seed=2/);
    assert.equal(cli(['run', CONFIG, '--out', sharded, '--shard', '2/2', '--jobs', '1', '--quiet']).code, 0);
    const done = cli(['summary', join(sharded, 'tiny-claims')]);
    assert.equal(done.code, 0, done.stdout);
    assert.deepEqual(timeless(summary(sharded)), timeless(summary(whole)));
    assert.equal(cli(['check', join(sharded, 'tiny-claims')]).code, 0);
  });

  it('check tells a partial sweep apart, claims or not: MISSING runs, exit 2; then all runs, exit 0', () => {
    const out = tmp('partial');
    // The same sweep with its claims taken out (a config with no expect: list).
    const noClaims = join(out, 'no-claims.yaml');
    writeFileSync(noClaims, readFileSync(CONFIG, 'utf8').replace(/^expect:[\s\S]*$/m, ''));
    assert.equal(cli(['run', noClaims, '--out', out, '--shard', '1/2', '--jobs', '1', '--quiet']).code, 0);
    const partial = cli(['check', join(out, 'tiny-claims')]);
    assert.equal(partial.code, 2, partial.stdout);
    assert.match(partial.stdout, /claims: none \(no expect: list\)/);
    assert.match(
      partial.stdout,
      /MISSING runs: 2 of 4 have no result: norm=none,seed=2 \(missing\), norm=layer,seed=2 \(missing\)/,
    );
    const json = JSON.parse(readFileSync(join(out, 'tiny-claims', 'check.json'), 'utf8')) as {
      runs: { unfinished: { run_id: string }[] };
    };
    assert.deepEqual(
      json.runs.unfinished.map((u) => u.run_id),
      ['norm=none,seed=2', 'norm=layer,seed=2'],
    );
    assert.equal(cli(['run', noClaims, '--out', out, '--shard', '2/2', '--jobs', '1', '--quiet']).code, 0);
    const whole = cli(['check', join(out, 'tiny-claims')]);
    assert.equal(whole.code, 0, whole.stdout);
    assert.match(whole.stdout, /runs: all 4 have a result/);
  });

  it('a rerun skips finished runs with the same config, reruns interrupted ones, and --force reruns all', () => {
    const out = tmp('resume');
    assert.equal(cli(['run', CONFIG, '--out', out, '--jobs', '1', '--quiet']).code, 0);
    const started = record(out, 'norm=layer,seed=1').started;
    const path = join(out, 'tiny-claims', 'norm=none,seed=2', 'run.json');
    writeFileSync(path, JSON.stringify({ ...record(out, 'norm=none,seed=2'), status: 'interrupted' }));
    const again = cli(['run', CONFIG, '--out', out, '--jobs', '1']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /1 to run, 3 already done/);
    assert.equal(record(out, 'norm=layer,seed=1').started, started, 'not rerun');
    assert.equal(record(out, 'norm=none,seed=2').status, 'complete');
    const changed = cli(['run', CONFIG, '--out', out, '--jobs', '1', '--set', 'model.epsilon=0.001']);
    assert.match(changed.stdout, /4 to run, 0 already done/, 'a changed config is not the same run');
    assert.match(cli(['run', CONFIG, '--out', out, '--jobs', '1', '--force']).stdout, /4 to run, 0 already done/);
  });

  it('runs in parallel workers; a worker that dies fails only its run', () => {
    const out = tmp('crash');
    const r = cli(['run', CONFIG, '--out', out, '--jobs', '2'], { LN_REPRO_TEST_CRASH_RUN: 'norm=layer,seed=1' });
    assert.equal(r.code, 1, r.stderr);
    const crashed = record(out, 'norm=layer,seed=1');
    assert.equal(crashed.status, 'failed');
    assert.match(crashed.message, /worker process died \(exit code 70\)/);
    for (const id of ['norm=none,seed=1', 'norm=none,seed=2', 'norm=layer,seed=2'])
      assert.equal(record(out, id).status, 'complete', id);
    assert.match(summary(out), /"norm=layer,seed=1",layer,1,failed/);
    assert.equal(cli(['check', join(out, 'tiny-claims')]).code, 2, 'a claim over a failed run is MISSING');
  });

  it('parallel runs give the metrics of sequential ones', () => {
    const [a, b] = [tmp('seq'), tmp('par')];
    assert.equal(cli(['run', CONFIG, '--out', a, '--jobs', '1', '--quiet']).code, 0);
    assert.equal(cli(['run', CONFIG, '--out', b, '--jobs', '2', '--quiet']).code, 0);
    assert.deepEqual(timeless(summary(b)), timeless(summary(a)));
  });

  it('check exits 1 when a claim is made false, and writes check.json', () => {
    const out = tmp('check');
    const flipped = join(out, 'flipped.yaml');
    const original = readFileSync(CONFIG, 'utf8');
    const text = original.replace(/relation: (["']?)<\1$/m, "relation: '>'");
    assert.notEqual(text, original, 'the claim is flipped'); // a quote style changed by a formatter made this a no-op
    writeFileSync(flipped, text);
    const r = cli(['run', flipped, '--out', out, '--jobs', '1']);
    assert.equal(r.code, 1, 'run reports the failing claim');
    assert.match(r.stdout, /FAIL +anything-trains/);
    const check = cli(['check', join(out, 'tiny-claims'), '--json', join(out, 'verdicts.json')]);
    assert.equal(check.code, 1);
    assert.equal(JSON.parse(readFileSync(join(out, 'verdicts.json'), 'utf8')).claims[0].verdict, 'FAIL');
    assert.equal(JSON.parse(readFileSync(join(out, 'tiny-claims', 'check.json'), 'utf8')).claims[0].verdict, 'FAIL');
  });

  it('check and summary exit 2 on a folder that is not an experiment', () => {
    assert.equal(cli(['check', tmp('empty')]).code, 2);
    assert.equal(cli(['summary', tmp('empty')]).code, 2);
  });
});
