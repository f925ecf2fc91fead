// Issue 24, items 2, 7 and 8: output paths that are not what they seem (links, FIFOs, devices, folders), data and
// experiment files that are not regular files, and messages that must say what is true.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../src/errors';
import { checkOutputFolder, classify, fileAt, specialFiles } from '../src/util/fs';
import { BIN, cli, noStack, pinWasm, ROOT, TINY as TINY_MLP, tmp } from './cli-runner';

/** cli-runner's tiny run, one norm, no report. */
const TINY = [...TINY_MLP, '--set', 'model.norm=layer', '--no-report'];

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

  it('one wording for what stands at a path, read (fileAt) or written into (checkOutputFolder): classify', () => {
    const root = tmp('classify');
    const s = specials(root);
    const loop = join(root, 'loop');
    symlinkSync(loop, loop);
    const cases: [string, string][] = [
      [s.dangling, 'a symbolic link to nothing'],
      [loop, 'a symbolic link loop'],
      [s.fifo, 'a FIFO'],
      [s.link, 'a symbolic link to a file'],
    ];
    for (const [path, words] of cases) {
      const read = fileAt(path);
      if (path !== s.link)
        assert.ok(typeof read === 'object' && read.problem.startsWith(words), `${words}: ${JSON.stringify(read)}`);
      assert.throws(
        () => checkOutputFolder(path, '--out'),
        (e: unknown) => e instanceof UserError && e.message.startsWith(`--out ${path}: ${words} is there`),
        words,
      );
    }
    assert.equal(classify(s.link).itself, 'a symbolic link', 'what a rename over it would replace');
    assert.deepEqual(specialFiles(root, ['target', 'link', 'loop']), [
      `${s.link}: a symbolic link`,
      `${loop}: a symbolic link`,
    ]);
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
      /cannot write into .*b\/mnist-bs4: .*experiment\.yaml: a symbolic link .*remove or move it, or give run another --out/,
    );
    // The user named --out, not experiment.yaml: no advice to give "the path of a regular file".
    assert.doesNotMatch(
      cli(['run', 'configs/mnist-bs4.yaml', ...TINY, '--out', join(root, 'b')]).stderr,
      /give the path/,
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

  it('run --no-report and --no-check do not refuse a folder where a figure or check.json stands (never written)', () => {
    const out = tmp('no-report');
    const exp = join(out, 'tiny-claims');
    mkdirSync(join(exp, 'curves.svg'), { recursive: true });
    mkdirSync(join(exp, 'check.json'));
    const config = join(ROOT, 'test', 'fixtures', 'tiny-claims.yaml');
    const quiet = ['--set', 'train.epochs=1', '--jobs', '1', '--out', out, '--quiet'];
    const r = cli(['run', config, ...quiet, '--no-report', '--no-check']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(existsSync(join(exp, 'summary.csv')));
    refused(
      cli(['run', config, ...quiet]),
      'with report and check',
      /check\.json: a folder, .*curves\.svg: a folder \(remove or move them, or give run another --out\)/,
    );
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

/** `ln-repro <args>` that must end within `ms` (a FIFO read would block forever): exit code null when it did not. */
function quick(args: string[], ms = 30_000) {
  const r = spawnSync(process.execPath, [BIN, ...pinWasm(args)], { cwd: ROOT, encoding: 'utf8', timeout: ms });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A folder of valid IDX files of 5 blank images each (train and t10k). */
function idxFolder(): string {
  const dir = tmp('idx');
  const header = (words: number[]) =>
    Buffer.concat(words.map((w) => Buffer.from([w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255])));
  for (const prefix of ['train', 't10k']) {
    writeFileSync(
      join(dir, `${prefix}-images-idx3-ubyte`),
      Buffer.concat([header([0x803, 5, 28, 28]), Buffer.alloc(5 * 784)]),
    );
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), Buffer.concat([header([0x801, 5]), Buffer.alloc(5)]));
  }
  return dir;
}

describe('issue 24, item 7: files that are not regular files are user errors, not stacks or hangs', () => {
  it('experiment.yaml a folder, a FIFO or a link loop: summary, check and report exit 2 naming it', () => {
    const root = tmp('expyaml');
    const cases: [string, (path: string) => void, RegExp][] = [
      ['folder', (p) => mkdirSync(p), /experiment\.yaml: a folder, not a file/],
      ['fifo', (p) => execFileSync('mkfifo', [p]), /experiment\.yaml: a FIFO, not a regular file/],
      ['loop', (p) => symlinkSync(p, p), /experiment\.yaml: a symbolic link loop/],
    ];
    for (const [name, make, why] of cases) {
      const exp = fixture(join(root, name));
      execFileSync('rm', [join(exp, 'experiment.yaml')]);
      make(join(exp, 'experiment.yaml'));
      for (const command of ['summary', 'check', 'report']) {
        const r = quick([command, exp]);
        assert.equal(r.code, 2, `${command} (${name}): ${r.stderr}`);
        assert.match(r.stderr, why, `${command} (${name})`);
        assert.ok(r.stderr.includes(join(exp, 'experiment.yaml')), r.stderr);
        noStack(r.stderr);
      }
    }
  });

  it('a config file that is a FIFO or a link loop: run exits 2 naming it instead of hanging', () => {
    const root = tmp('config');
    execFileSync('mkfifo', [join(root, 'fifo.yaml')]);
    symlinkSync(join(root, 'loop.yaml'), join(root, 'loop.yaml'));
    for (const [file, why] of [
      ['fifo.yaml', /fifo\.yaml: cannot read config \(a FIFO, not a regular file\)/],
      ['loop.yaml', /loop\.yaml: cannot read config \(a symbolic link loop\)/],
    ] as const) {
      const r = quick(['run', join(root, file), '--out', join(root, 'out')]);
      assert.equal(r.code, 2, `${file}: ${r.stderr}`);
      assert.match(r.stderr, why);
      noStack(r.stderr);
    }
  });

  it("a run's run.json a FIFO: summary reports the run corrupt instead of hanging", () => {
    const exp = fixture(tmp('runjson'));
    const run = join(exp, 'batchSize=4,norm=layer,seed=1', 'run.json');
    execFileSync('rm', [run]);
    execFileSync('mkfifo', [run]);
    const r = quick(['summary', exp]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /corrupt .*run\.json: a FIFO, not a regular file/);
  });

  it('an IDX file that is a folder, a FIFO, a link loop or a link to nothing: run exits 2 naming the config, data.dir and the file', () => {
    const cases: [string, string, (path: string) => void, RegExp][] = [
      ['train-labels-idx1-ubyte', 'folder', (p) => mkdirSync(p), /train-labels-idx1-ubyte: a folder, not a file/],
      ['train-images-idx3-ubyte', 'fifo', (p) => execFileSync('mkfifo', [p]), /images-idx3-ubyte: a FIFO, not a/],
      ['t10k-labels-idx1-ubyte', 'loop', (p) => symlinkSync(p, p), /labels-idx1-ubyte: a symbolic link loop/],
      ['t10k-images-idx3-ubyte', 'dangling', (p) => symlinkSync(`${p}.nowhere`, p), /a symbolic link to nothing/],
    ];
    for (const [file, name, make, why] of cases) {
      const dir = idxFolder();
      execFileSync('rm', [join(dir, file)]);
      make(join(dir, file));
      const sets = ['data.source=idx', `data.dir=${dir}`, 'data.train=4', 'data.test=4', 'train.batchSize=4'];
      const r = quick(['run', 'configs/mnist-bs4.yaml', ...sets.flatMap((s) => ['--set', s]), '--out', join(dir, 'o')]);
      assert.equal(r.code, 2, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^ln-repro: configs\/mnist-bs4\.yaml: data\.dir "/, name);
      assert.match(r.stderr, why, name);
      assert.doesNotMatch(r.stderr, /missing/, name);
      noStack(r.stderr);
    }
  });
});

describe('issue 24, item 8: messages say what is true', () => {
  it('report on a folder whose runs all diverged says they diverged and what to do, not "run the experiment first"', () => {
    const out = tmp('diverged');
    const blowUp = ['--set', 'train.learningRate=1e30', '--out', out];
    assert.equal(cli(['run', 'configs/mnist-bs4.yaml', ...TINY, ...blowUp, '--quiet']).code, 1);
    const r = cli(['report', join(out, 'mnist-bs4')]);
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /run the experiment first/);
    assert.match(r.stderr, /every run diverged .*norm=layer: non-finite training loss/);
    assert.match(r.stderr, /change what made them diverge/);
    noStack(r.stderr);
  });

  it('--set model.writeSize=0 prints one error for the key; data.train=0 says data.train must be at least 1', () => {
    const out = join(tmp('one-error'), 'out');
    const w = cli(['run', 'configs/paper/draw.yaml', '--set', 'model.writeSize=0', '--out', out]);
    assert.equal(w.code, 2);
    assert.equal(w.stderr.match(/model\.writeSize/g)?.length, 1, w.stderr);
    const d = cli(['run', 'configs/mnist-bs4.yaml', '--set', 'data.train=0', '--out', out]);
    assert.equal(d.code, 2);
    assert.doesNotMatch(d.stderr, /at most 0/, d.stderr);
    assert.match(d.stderr, /data\.train: expected a value > 0, found 0/);
    const few = cli([
      'run',
      'configs/mnist-bs4.yaml',
      '--set',
      'data.train=3',
      '--set',
      'model.norm=none',
      '--out',
      out,
    ]);
    assert.equal(few.code, 2);
    assert.match(few.stderr, /set train\.batchSize to at most 3, or data\.train to at least 4/, few.stderr);
  });

  it('DRAW with Gaussian attention on permuted pixels is refused, naming both keys', () => {
    const out = join(tmp('draw-permute'), 'out');
    const r = cli(['run', 'configs/paper/draw.yaml', '--set', 'data.permute=true', '--out', out]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /data\.permute: .*model\.attention/);
    noStack(r.stderr);
    assert.equal(existsSync(out), false);
  });

  it('a webgpu load failure lists only the requirements not met here', async () => {
    const { selectBackend } = await import('../src/backend/select');
    const failing = () => Promise.reject(new Error('no adapter on Vulkan, Metal, D3D12 or OpenGL ES'));
    const loaders = { tensorflow: failing, webgpu: failing, wasm: failing, cpu: failing };
    const err = await selectBackend('webgpu', loaders).then(
      () => assert.fail('loaded'),
      (e: Error) => e,
    );
    assert.match(err.message, /--backend webgpu: cannot load \(no adapter on Vulkan/);
    const [major, minor] = process.versions.node.split('.').map(Number);
    const newNode = major > 20 || (major === 20 && minor >= 19);
    const installed = ['webgpu', '@tensorflow/tfjs-backend-webgpu'].every((p) => {
      try {
        require.resolve(p);
        return true;
      } catch {
        return false;
      }
    });
    if (newNode) assert.doesNotMatch(err.message, /Node\.js/, err.message);
    else assert.match(err.message, /Node\.js >= 20\.19 \(this is /, err.message);
    if (installed) assert.doesNotMatch(err.message, /npm install|optional package/, err.message);
    else assert.match(err.message, /the optional package\(s\) .*\(npm install\)/, err.message);
    // Mesa's OpenGL ES is the next thing to install only when Node.js and the packages are there.
    const egl = /OpenGL ES \(libegl1, libgles2, libegl-mesa0\)/;
    if (newNode && installed) assert.match(err.message, egl, err.message);
    else assert.doesNotMatch(err.message, egl, err.message);
  });

  it('a write to stdout that fails (a full disk under > FILE) is one line and exit 2, not a stack through commander', () => {
    const exp = fixture(tmp('stdout-full'));
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [BIN, 'summary', exp], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
        stdio: ['ignore', full, 'pipe'],
      });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr, 'ln-repro: cannot write standard output: no space left on device (ENOSPC)\n');
    } finally {
      closeSync(full);
    }
  });
});
