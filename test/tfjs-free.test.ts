// The report, the config and the kinds' declarations load without tfjs: in a process where requiring any
// @tensorflow package throws, the catalogs and the experiment loader load, and summary, check and the report run on
// fixture results. (eslint.config.mjs forbids direct tfjs imports there; this checks the whole module graph.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist', 'src');

/** Preloaded: makes requiring any @tensorflow package throw. */
const GUARD = join(ROOT, 'test', 'fixtures', 'no-tfjs.js');

/** Runs `script` in a Node process whose require of any @tensorflow package throws. */
function withoutTfjs(script: string) {
  return spawnSync(process.execPath, ['--require', GUARD, '-e', script], { cwd: ROOT, encoding: 'utf8' });
}

/** Runs `ln-repro <args>` so. */
function cliWithoutTfjs(args: string[]) {
  return spawnSync(process.execPath, ['--require', GUARD, join(ROOT, 'bin', 'ln-repro'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
}

describe('tfjs-free modules', () => {
  it('the guard catches a module that loads tfjs (the check has teeth)', () => {
    const r = withoutTfjs(`require(${JSON.stringify(join(DIST, 'norm', 'registry.js'))});
      require(${JSON.stringify(join(DIST, 'norm', 'layer', 'index.js'))});`);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /tfjs was loaded: @tensorflow\/tfjs/);
  });

  it('the catalogs load without the tokenizer (compromise adds ~0.2 s to every start of the command line)', () => {
    const modules = ['norm/catalog', 'models/catalog', 'tasks/catalog', 'data/catalog', 'config/schema'];
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `for (const m of ${JSON.stringify(modules)}) require(${JSON.stringify(DIST)} + '/' + m + '.js');
        const heavy = Object.keys(require.cache).filter((k) => k.includes('/node_modules/compromise/'));
        if (heavy.length) { console.error('loaded: ' + heavy[0]); process.exit(3); }`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
  });

  it('the catalogs, the experiment loader, summary, check and the report load and run without it', () => {
    const out = mkdtempSync(join(tmpdir(), 'ln-repro-tfjs-free-'));
    for (const name of ['tiny-sweep', 'tiny-retrieval'])
      cpSync(join(ROOT, 'test', 'fixtures', 'results', name), join(out, name), { recursive: true });
    const modules = ['norm/catalog', 'models/catalog', 'models/cells/catalog', 'tasks/catalog', 'data/catalog'];
    const r = withoutTfjs(`
      const dist = ${JSON.stringify(DIST)};
      for (const m of ${JSON.stringify(modules)}) require(dist + '/' + m + '.js');
      require(dist + '/config/load.js').loadExperiments({ file: 'configs/mnist-bs4.yaml' });
      const { loadExperimentFolder } = require(dist + '/results/read.js');
      const { writeSummary } = require(dist + '/experiments/summary.js');
      const { checkExperiment } = require(dist + '/experiments/check.js');
      const { writeReport } = require(dist + '/report/report.js');
      (async () => {
        for (const name of ['tiny-sweep', 'tiny-retrieval']) {
          const dir = ${JSON.stringify(out)} + '/' + name;
          const experiment = loadExperimentFolder(dir);
          writeSummary(dir, experiment.runs);
          checkExperiment(dir, experiment);
          await writeReport(dir);
        }
      })().catch((err) => { console.error(err); process.exit(3); });`);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(
      existsSync(join(out, 'tiny-sweep', 'report.md')) && existsSync(join(out, 'tiny-retrieval', 'recall.png')),
    );
  });

  it('ln-repro report, check, summary and --help start and run without it', () => {
    const out = mkdtempSync(join(tmpdir(), 'ln-repro-tfjs-free-cli-'));
    cpSync(join(ROOT, 'test', 'fixtures', 'results', 'tiny-sweep'), join(out, 'tiny-sweep'), { recursive: true });
    for (const args of [['summary'], ['check'], ['report'], ['run', '--help']]) {
      const r = cliWithoutTfjs(args[1] ? args : [...args, join(out, 'tiny-sweep')]);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    assert.ok(existsSync(join(out, 'tiny-sweep', 'report.md')));
    const run = cliWithoutTfjs(['run', 'configs/mnist-bs4.yaml', '--out', join(out, 'x'), '--quiet']);
    assert.match(run.stderr, /tfjs was loaded/, 'run itself loads tfjs (the guard holds in the CLI)');
  });
});
