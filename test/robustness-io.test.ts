// Issue 24, items 2, 7 and 8: output paths that are not what they seem (links, FIFOs, devices, folders), data and
// experiment files that are not regular files, and messages that must say what is true.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, ROOT } from './cli-runner';

const TINY = [
  '--set',
  'train.epochs=1',
  '--set',
  'data.train=64',
  '--set',
  'data.test=32',
  '--set',
  'model.hidden=[16]',
  '--set',
  'train.batchSize=16',
  '--set',
  'model.norm=layer',
  '--no-report',
];

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `ln-repro-io-${name}-`));
const noStack = (text: string) => assert.doesNotMatch(text, /\n\s+at |internal error/, `no stack trace: ${text}`);
const fixture = (root: string) => {
  const dir = join(root, 'tiny-sweep');
  cpSync(join(ROOT, 'test', 'fixtures', 'results', 'tiny-sweep'), dir, { recursive: true });
  return dir;
};
/** A regular file `keep` and a link to it, a FIFO and a dangling link in `root`. */
function specials(root: string) {
  const target = join(root, 'target');
  writeFileSync(target, 'keep');
  symlinkSync(target, join(root, 'link'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  symlinkSync(join(root, 'nothing'), join(root, 'dangling'));
  return { target, link: join(root, 'link'), fifo: join(root, 'fifo'), dangling: join(root, 'dangling') };
}
const refused = (r: ReturnType<typeof cli>, what: string, why: RegExp) => {
  assert.equal(r.code, 2, `${what}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, why, what);
  assert.equal(r.stdout, '', `${what}: nothing done before the refusal`);
  noStack(r.stderr);
};

describe('issue 24, item 2: every output path is checked before any work', () => {
  it('run --out at a file, a FIFO, a device, a link to a file, a link to nothing or below a file: exit 2 first', () => {
    const root = tmp('out');
    const s = specials(root);
    const cases: [string, RegExp][] = [
      [s.target, /--out .*target: a file is there, not a folder/],
      [s.fifo, /--out .*fifo: a FIFO is there, not a folder/],
      ['/dev/null', /--out \/dev\/null: a device is there, not a folder/],
      [s.link, /--out .*link: a symbolic link to a file is there, not a folder/],
      [s.dangling, /--out .*dangling: a symbolic link to nothing is there/],
      [join(s.target, 'out'), /cannot write .*target\/out\/mnist-bs4\/experiment\.yaml: a part of the path is a file/],
    ];
    for (const [out, why] of cases) refused(cli(['run', 'configs/mnist-bs4.yaml', ...TINY, '--out', out]), out, why);
    assert.equal(readFileSync(s.target, 'utf8'), 'keep');
    assert.ok(lstatSync(s.fifo).isFIFO() && lstatSync(s.link).isSymbolicLink());
  });

  it('run: an experiment folder that is a file, or whose experiment.yaml is a link: exit 2 first, the link kept', () => {
    const root = tmp('expdir');
    const s = specials(root);
    mkdirSync(join(root, 'a'));
    writeFileSync(join(root, 'a', 'mnist-bs4'), 'x');
    mkdirSync(join(root, 'b', 'mnist-bs4'), { recursive: true });
    symlinkSync(s.target, join(root, 'b', 'mnist-bs4', 'experiment.yaml'));
    refused(
      cli(['run', 'configs/mnist-bs4.yaml', ...TINY, '--out', join(root, 'a')]),
      'experiment folder a file',
      /experiment folder .*a\/mnist-bs4: a file is there, not a folder/,
    );
    refused(
      cli(['run', 'configs/mnist-bs4.yaml', ...TINY, '--out', join(root, 'b')]),
      'experiment.yaml a link',
      /cannot write .*b\/mnist-bs4\/experiment\.yaml: a symbolic link is there/,
    );
    assert.ok(lstatSync(join(root, 'b', 'mnist-bs4', 'experiment.yaml')).isSymbolicLink());
    assert.equal(readFileSync(s.target, 'utf8'), 'keep');
  });

  it('run --out a link to a folder is written through (documented); a run file that is a link fails that run, kept', () => {
    const root = tmp('through');
    mkdirSync(join(root, 'real'));
    symlinkSync(join(root, 'real'), join(root, 'out'));
    const ok = cli(['run', 'configs/mnist-bs4.yaml', ...TINY, '--out', join(root, 'out'), '--quiet']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(existsSync(join(root, 'real', 'mnist-bs4', 'norm=layer', 'metrics.csv')));
    assert.ok(lstatSync(join(root, 'out')).isSymbolicLink());
    // config.yaml of the run a link (to the finished run's metrics): that run fails, the link and its target kept.
    const run = join(root, 'real', 'mnist-bs4', 'norm=layer');
    const metrics = readFileSync(join(run, 'metrics.csv'), 'utf8');
    const victim = join(root, 'victim');
    writeFileSync(victim, 'keep');
    execFileSync('rm', [join(run, 'config.yaml')]);
    symlinkSync(victim, join(run, 'config.yaml'));
    const r = cli(['run', 'configs/mnist-bs4.yaml', ...TINY, '--out', join(root, 'out'), '--force']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /failed: cannot write .*config\.yaml: a symbolic link is there/);
    noStack(r.stderr);
    assert.ok(lstatSync(join(run, 'config.yaml')).isSymbolicLink());
    assert.equal(readFileSync(victim, 'utf8'), 'keep');
    assert.equal(readFileSync(join(run, 'metrics.csv'), 'utf8'), metrics);
  });

  it("summary's summary.csv a link, check's check.json a FIFO, report's report.md a link or a figure a FIFO: exit 2 first", () => {
    const root = tmp('folder-files');
    const s = specials(root);
    const exp = fixture(root);
    execFileSync('rm', [join(exp, 'summary.csv')]);
    symlinkSync(s.target, join(exp, 'summary.csv'));
    execFileSync('mkfifo', [join(exp, 'check.json')]);
    symlinkSync(s.target, join(exp, 'report.md'));
    const before = readdirSync(exp).sort();
    refused(cli(['summary', exp]), 'summary', /cannot write into .*tiny-sweep: .*summary\.csv: a symbolic link/);
    refused(cli(['check', exp]), 'check', /cannot write into .*tiny-sweep: .*check\.json: a FIFO/);
    refused(cli(['report', exp]), 'report', /cannot write into .*tiny-sweep: .*report\.md: a symbolic link/);
    execFileSync('rm', [join(exp, 'report.md')]);
    execFileSync('mkfifo', [join(exp, 'learning-curves.png')]);
    refused(cli(['report', exp]), 'report png', /learning-curves\.png: a FIFO/);
    assert.deepEqual(
      readdirSync(exp).sort(),
      [...before.filter((n) => n !== 'report.md'), 'learning-curves.png'].sort(),
    );
    assert.ok(lstatSync(join(exp, 'summary.csv')).isSymbolicLink() && lstatSync(join(exp, 'check.json')).isFIFO());
    assert.equal(readFileSync(s.target, 'utf8'), 'keep');
  });

  it('check and report of several folders refuse before writing into the first', () => {
    const root = tmp('several');
    const first = fixture(join(root, 'a'));
    const second = fixture(join(root, 'b'));
    mkdirSync(join(second, 'check.json'));
    mkdirSync(join(second, 'report.md'));
    refused(cli(['check', first, second]), 'check', /b\/tiny-sweep: .*check\.json: a folder/);
    refused(cli(['report', first, second]), 'report', /b\/tiny-sweep: .*report\.md: a folder/);
    assert.equal(existsSync(join(first, 'check.json')), false);
    assert.equal(existsSync(join(first, 'report.md')), false);
  });
});
