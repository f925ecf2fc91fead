// Hostile and careless use: writes outside --out, infinite numbers, file-system faults, two processes
// on one experiment folder, corrupt result files, runs too large for memory, misleading messages.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { loadExperiments } from '../src/config/load';
import { runConfigSchema } from '../src/config/schema';
import { experimentDir, runPaths } from '../src/results/layout';
import { acquireRunLock, lockState } from '../src/experiments/lock';
import { finishedRecord, readMetrics, readRunRecord } from '../src/results/read';
import { writeAtomic } from '../src/util/fs';
import { UserError } from '../src/errors';
import { BIN, cli, files, noStack, pinWasm, ROOT, TINY, tmp } from './cli-runner';

describe('1. output stays inside --out', () => {
  for (const name of ['..', '.', '.hidden', 'a/b', '../x']) {
    it(`rejects the experiment name "${name}" (exit 2, nothing written)`, () => {
      const out = join(tmp('name'), 'out');
      const r = cli(['run', 'configs/mnist-bs4.yaml', ...TINY, '--set', `name=${name}`, '--out', out]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /configs\/mnist-bs4\.yaml: name: .*one folder/);
      noStack(r.stderr);
      assert.equal(existsSync(out), false);
    });
  }

  it("does not touch another experiment's files with name: .. (the case found)", () => {
    const root = tmp('victim');
    const victim = join(root, 'claims', 'experiment.yaml');
    mkdirSync(join(root, 'claims', 'zzz'), { recursive: true });
    writeFileSync(victim, 'victim\n');
    const r = cli(['run', 'configs/mnist-bs4.yaml', ...TINY, '--set', 'name=..', '--out', join(root, 'claims', 'zzz')]);
    assert.equal(r.code, 2);
    assert.equal(readFileSync(victim, 'utf8'), 'victim\n');
  });

  it('every path is made inside its root, whatever a caller passes', () => {
    assert.throws(
      () => experimentDir('/tmp/out', '..'),
      (e: unknown) => e instanceof UserError && /outside \/tmp\/out/.test(e.message),
    );
    assert.throws(() => experimentDir('/tmp/out', 'a/../..'), UserError);
    assert.throws(() => runPaths('/tmp/out/x', '../y'), UserError);
    assert.throws(() => runPaths('/tmp/out/x', '.'), UserError);
    assert.equal(runPaths('/tmp/out/x', 'norm=.._a').dir, '/tmp/out/x/norm=.._a');
  });
});

describe('2. numbers are finite, and a saved config loads again', () => {
  for (const [key, value] of [
    ['train.learningRate', '.inf'],
    ['model.gainInit', '.inf'],
    ['model.epsilon', '.inf'],
    ['train.clipNorm', '.inf'],
    ['model.biasInit', '-.inf'],
    ['train.learningRate', '.nan'],
  ]) {
    it(`rejects ${key}=${value}, naming it as written`, () => {
      const r = cli([
        'run',
        'configs/mnist-bs4.yaml',
        ...TINY,
        '--set',
        `${key}=${value}`,
        '--out',
        join(tmp('inf'), 'out'),
      ]);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        new RegExp(`${key.replace('.', '\\.')}: expected a finite number, found ${value.replace('.', '\\.')}`),
      );
    });
  }

  const roundTrip = (config: unknown) => runConfigSchema.parse(YAML.parse(YAML.stringify(config)));
  it('round-trips every run of every shipped config through its saved config.yaml', () => {
    const dir = join(ROOT, 'configs');
    const all = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml'));
    let runs = 0;
    for (const f of all) {
      for (const e of loadExperiments({ file: join(dir, f) })) {
        for (const r of e.runs) {
          assert.deepEqual(roundTrip(r.config), r.config, `${f} ${r.runId}`);
          runs += 1;
        }
      }
    }
    assert.ok(runs > 200, `${runs} runs`);
  });

  it('round-trips fuzzed valid configs (extreme finite numbers, every model kind)', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
    const numbers = [1e-300, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, 1 / 3, 123456789.123, 2 ** 53 - 1, 1e21];
    const models = [
      { kind: 'mlp', hidden: [8] },
      { kind: 'conv', channels: [4] },
      { kind: 'rnn', cell: pick(['lstm', 'gru']) },
      { kind: 'retrieval' },
    ];
    const views: Record<string, string> = { mlp: 'flat', conv: 'image', rnn: 'rows', retrieval: 'strips' };
    for (let i = 0; i < 200; i++) {
      const model = {
        ...pick(models),
        epsilon: pick(numbers),
        gainInit: pick(numbers) * pick([1, -1]),
        biasInit: pick(numbers) * pick([1, -1]),
      };
      const raw = {
        name: 'fuzz',
        data: { train: 200, test: 10, view: views[model.kind] },
        model,
        train: { learningRate: pick(numbers), clipNorm: pick(numbers) },
      };
      const config = runConfigSchema.parse(raw);
      assert.deepEqual(roundTrip(config), config, JSON.stringify(raw));
    }
  });
});

describe('3. file-system faults are user errors', () => {
  it('a file where --out needs a folder: exit 2 before training, naming the path', () => {
    const root = tmp('notdir');
    writeFileSync(join(root, 'afile'), 'x');
    const r = cli(['run', 'configs/mnist-bs4.yaml', ...TINY, '--out', join(root, 'afile', 'out')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot write .*afile\/out\/mnist-bs4\/experiment\.yaml: .*(ENOTDIR|EEXIST)/);
    noStack(r.stderr);
  });

  it('--json at a folder, a symbolic link, a FIFO, a device or under a file: exit 2 before any work, nothing replaced', () => {
    const root = tmp('json-out');
    const target = join(root, 'target.json');
    writeFileSync(target, 'keep');
    symlinkSync(target, join(root, 'link.json'));
    execFileSync('mkfifo', [join(root, 'fifo.json')]);
    mkdirSync(join(root, 'folder.json'));
    const fixture = join(root, 'tiny-sweep'); // check writes check.json into the folder it checks
    cpSync(join(ROOT, 'test', 'fixtures', 'results', 'tiny-sweep'), fixture, { recursive: true });
    const cases: [string[], string, RegExp][] = [
      [['bench', '--quick'], join(root, 'folder.json'), /a folder is there/],
      [['invariance'], join(root, 'link.json'), /a symbolic link is there/],
      [['check', fixture], join(root, 'fifo.json'), /a FIFO is there/],
      [['invariance'], '/dev/null', /a device is there/],
      [['bench', '--quick'], join(target, 'bench.json'), /a part of the path is a file, not a folder/],
    ];
    for (const [args, path, why] of cases) {
      const r = cli([...args, '--json', path]);
      assert.equal(r.code, 2, `${args[0]} --json ${path}: ${r.stderr}`);
      assert.ok(r.stderr.includes(`--json ${path}: `), r.stderr);
      assert.match(r.stderr, why);
      assert.equal(r.stdout, '', `${args[0]}: nothing done before the refusal`);
      noStack(r.stderr);
    }
    assert.equal(readFileSync(target, 'utf8'), 'keep');
    assert.ok(lstatSync(join(root, 'link.json')).isSymbolicLink(), 'the link is still a link');
    assert.ok(lstatSync(join(root, 'fifo.json')).isFIFO(), 'the FIFO is still a FIFO');
    assert.ok(lstatSync('/dev/null').isCharacterDevice());
    // A regular file is written anew, as a new path is (its folders made).
    for (const path of [target, join(root, 'new', 'verdicts.json')]) {
      const r = cli(['check', fixture, '--json', path]);
      assert.notEqual(r.code, 2, r.stderr);
      assert.ok(Array.isArray((JSON.parse(readFileSync(path, 'utf8')) as { claims: unknown }).claims));
    }
  });

  it('an atomic write that fails leaves no temporary file', () => {
    const root = tmp('atomic');
    mkdirSync(join(root, 'target.json')); // a folder where the file goes: rename fails
    assert.throws(
      () => writeAtomic(join(root, 'target.json'), 'x'),
      (e: unknown) => e instanceof UserError && /cannot write .*target\.json/.test(e.message),
    );
    assert.deepEqual(
      files(root).filter((f) => f.includes('.tmp-')),
      [],
    );
  });

  for (const jobs of ['1', '2']) {
    it(`the disk fills up mid-run (injected ENOSPC, --jobs ${jobs}): exit 1, the run failed with the reason, no temporary files`, () => {
      const out = tmp('full');
      // Writes of the process that trains: config.yaml, run.json, then metrics.csv after epoch 1 fails.
      const env = { LN_REPRO_TEST_FAIL_WRITES_AFTER: jobs === '1' ? '3' : '2' };
      const r = cli(
        [
          'run',
          'configs/mnist-bs4.yaml',
          ...TINY,
          '--set',
          'model.norm=layer',
          '--set',
          'train.epochs=2',
          '--jobs',
          jobs,
          '--out',
          out,
          '--no-report',
        ],
        env,
      );
      assert.equal(r.code, 1, r.stdout + r.stderr);
      noStack(r.stderr);
      assert.match(r.stdout + r.stderr, /failed: cannot write .*metrics\.csv: no space left on device/);
      assert.deepEqual(
        files(out).filter((f) => f.includes('.tmp-')),
        [],
        'no temporary file left',
      );
    });
  }

  it('a run start removes stale temporary files of its run folder', () => {
    const out = tmp('stale');
    const run = join(out, 'mnist-bs4', 'norm=layer');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'metrics.csv.tmp-999999'), 'half written');
    assert.equal(
      cli([
        'run',
        'configs/mnist-bs4.yaml',
        ...TINY,
        '--set',
        'model.norm=layer',
        '--out',
        out,
        '--quiet',
        '--no-report',
      ]).code,
      0,
    );
    assert.deepEqual(
      files(run).filter((f) => f.includes('.tmp-')),
      [],
    );
  });

  // A read-only folder (holding a finished experiment) needs a mount (root ignores permissions) or a non-root
  // user; skipped where neither works.
  const mounted: string[] = [];
  after(() => mounted.forEach((d) => spawnSync('umount', [d])));
  const readOnlyCopy = (): string | undefined => {
    const dir = tmp('ro');
    const isRoot = process.getuid?.() === 0;
    try {
      if (isRoot) {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'ignore' });
        mounted.push(dir);
      }
      cpSync(join(ROOT, 'test', 'fixtures', 'results', 'tiny-sweep'), join(dir, 'tiny-sweep'), { recursive: true });
      if (isRoot) execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'ignore' });
      else execFileSync('chmod', ['-R', 'a-w', dir]);
      return dir;
    } catch {
      return undefined;
    }
  };
  it('summary, check and report on a disk that fails every write (injected): "cannot write", exit 2', () => {
    const exp = join(tmp('inject'), 'tiny-sweep');
    cpSync(join(ROOT, 'test', 'fixtures', 'results', 'tiny-sweep'), exp, { recursive: true });
    for (const [command, file] of [
      ['summary', 'summary.csv'],
      ['check', 'check.json'],
      ['report', '\\S+'],
    ]) {
      const r = cli([command, exp], { LN_REPRO_TEST_FAIL_WRITES_AFTER: '0' });
      assert.equal(r.code, 2, `${command}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, new RegExp(`cannot write .*tiny-sweep/${file}: no space left on device`));
      noStack(r.stderr);
    }
    assert.deepEqual(
      files(exp).filter((f) => f.includes('.tmp-')),
      [],
    );
  });

  it('a read-only output folder: run, summary, check and report say which path they cannot write, exit 2', (t) => {
    const dir = readOnlyCopy();
    if (!dir) return t.skip('cannot make a read-only folder here (no mount as root, no chmod)');
    const exp = join(dir, 'tiny-sweep');
    const cases: [string[], RegExp][] = [
      [
        ['run', 'configs/mnist-bs4.yaml', ...TINY, '--out', dir],
        /cannot write .*mnist-bs4\/experiment\.yaml: (read-only file system|permission denied)/,
      ],
      [['summary', exp], /cannot write .*tiny-sweep\/summary\.csv: (read-only file system|permission denied)/],
      [['check', exp], /cannot write .*tiny-sweep\/check\.json: (read-only file system|permission denied)/],
      [['report', exp], /cannot write .*tiny-sweep\/\S+: (read-only file system|permission denied)/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      assert.equal(r.code, 2, `${args[0]}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
      noStack(r.stderr);
    }
  });
});

/**
 * How long a test waits on an ln-repro process before it fails, naming what it waited for: a guard against a hang
 * (node:test's own timeout says nothing), not a timing assertion; every wait below is for a few seconds of work.
 */
const WAIT_MS = 120_000;

interface Background {
  name: string;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  closed: Promise<number | null>;
}

/** `ln-repro <args>` from the repository root in the background, its output collected. */
function startRun(name: string, args: string[]): Background {
  const child = spawn(process.execPath, [BIN, ...pinWasm(args)], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { name, child, stdout: () => stdout, stderr: () => stderr, closed };
}

/** What `procs` have printed so far, for a failure message. */
const outputs = (procs: Background[]) =>
  procs.map((p) => `--- ${p.name}, stdout:\n${p.stdout()}--- stderr:\n${p.stderr()}`).join('\n');

/** Resolves once `test()` holds (polled every 100 ms); fails after WAIT_MS naming `what`, with `procs`' output. */
async function waitFor(what: string, test: () => boolean, procs: Background[]): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!test()) {
    if (Date.now() > deadline) assert.fail(`gave up after ${WAIT_MS / 1000} s waiting for ${what}\n${outputs(procs)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `p`'s exit code (null when a signal ended it); fails after WAIT_MS. */
async function exitOf(p: Background): Promise<number | null> {
  let code: number | null | undefined;
  void p.closed.then((c) => (code = c));
  await waitFor(`${p.name} to exit`, () => code !== undefined, [p]);
  return code!;
}

/** Ends what is left of `procs` after a failed wait, so that a paused one is not left behind to hold the test up. */
function endAll(procs: Background[]): void {
  for (const { child } of procs) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
}

describe('4. one writer per run', () => {
  it('a lock names its holder; a second taker is refused; stale locks (process gone, pid reused, unreadable) are taken over', () => {
    const dir = join(tmp('lock'), 'run');
    const lockFile = join(dir, 'run.lock');
    const first = acquireRunLock(dir);
    assert.ok(first.acquired);
    const state = lockState(dir);
    assert.ok(state.state === 'held' && state.holder.pid === process.pid && state.here);
    const second = acquireRunLock(dir);
    assert.ok(!second.acquired && second.holder.pid === process.pid, 'the same lock cannot be taken twice');
    first.release();
    assert.equal(lockState(dir).state, 'free');
    const takeOver = (holder: object, why: string) => {
      writeFileSync(lockFile, JSON.stringify(holder));
      const r = acquireRunLock(dir);
      assert.ok(r.acquired, why);
      r.release();
    };
    const gone = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid; // a pid whose process has ended
    takeOver({ pid: gone, host: hostname(), started: 'then' }, 'its process has ended');
    // A restarted container gets its pid back: this process's own pid on a lock it never took.
    takeOver({ pid: process.pid, host: hostname(), started: 'before a restart' }, 'own pid, not held');
    if (existsSync('/proc/self/stat'))
      takeOver(
        { pid: process.ppid, host: hostname(), started: 'then', identity: 'another-boot:1' },
        'pid reused by another process',
      );
    writeFileSync(lockFile, '');
    const young = acquireRunLock(dir);
    assert.ok(!young.acquired, 'an unreadable lock is respected while it may still be being written');
    utimesSync(lockFile, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const old = acquireRunLock(dir);
    assert.ok(old.acquired, 'an unreadable lock older than 30 s is stale');
    old.release();
    writeFileSync(lockFile, JSON.stringify({ pid: gone, host: 'another-host', started: 'then' }));
    const other = acquireRunLock(dir);
    assert.ok(
      !other.acquired && other.holder.host === 'another-host' && !other.here,
      'a lock from another host is always respected',
    );
  });

  for (const jobs of ['1', '2']) {
    it(`a run whose lock cannot be made fails alone (--jobs ${jobs}): the others complete, exit 1`, () => {
      const out = tmp('nolock');
      mkdirSync(join(out, 'mnist-bs4'), { recursive: true });
      writeFileSync(join(out, 'mnist-bs4', 'norm=layer'), 'a file where the run folder goes');
      const r = cli(['run', 'configs/mnist-bs4.yaml', ...TINY, '--jobs', jobs, '--out', out, '--no-report']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      noStack(r.stderr);
      assert.match(r.stdout, /norm=layer: failed: cannot lock .*norm=layer\/run\.lock/);
      for (const norm of ['none', 'batch']) {
        const rec = readRunRecord(join(out, 'mnist-bs4', `norm=${norm}`, 'run.json'));
        assert.ok(rec.state === 'ok' && rec.value.status === 'complete', norm);
      }
    });
  }

  it('two run processes on one folder, the second started while the first is paused mid-sweep: every run complete once, metrics as one process makes them', async () => {
    // 6 runs of ~2.5 s each, each process training one at a time (--jobs 1).
    const args = [
      'run',
      'configs/mnist-bs4.yaml',
      '--set',
      'data.train=3000',
      '--set',
      'data.test=100',
      '--set',
      'model.hidden=[64]',
      '--set',
      'train.batchSize=4',
      '--set',
      'train.epochs=2',
      '--set',
      'sweep.train.seed=[1,2]',
      '--jobs',
      '1',
      '--no-report',
    ];
    const reference = tmp('one');
    assert.equal(cli([...args, '--out', reference, '--quiet']).code, 0);
    const shared = tmp('two');
    const exp = loadExperiments({
      file: join(ROOT, 'configs', 'mnist-bs4.yaml'),
      sets: args.slice(1).filter((_, i, xs) => xs[i - 1] === '--set'),
    })[0];
    const expDir = join(shared, 'mnist-bs4');
    // Every process started, to end what a failed wait leaves behind.
    const procs: Background[] = [];
    const start = (name: string) => {
      const p = startRun(name, [...args, '--out', shared]);
      procs.push(p);
      return p;
    };
    try {
      const a = start('the first process');
      // The first is paused once it trains (its first epoch line). It trains one run at a time (--jobs 1), so it
      // then holds at most one lock: with two runs unfinished, one is free for the second, whatever the timing.
      await waitFor('the first process to train an epoch', () => /\] epoch 1\/2 /.test(a.stdout()), [a]);
      a.child.kill('SIGSTOP');
      const unfinished = exp.runs.filter((run) => !finishedRecord(expDir, run)).map((run) => run.runId);
      assert.ok(unfinished.length >= 2, `runs left when the first was paused: ${unfinished.join(', ')}`);
      const b = start('the second process');
      await waitFor(
        'the second process to train a run while the first is paused',
        () => / epoch 1\/2 /.test(b.stdout()),
        [a, b],
      );
      a.child.kill('SIGCONT');
      const [codeA, codeB] = await Promise.all([exitOf(a), exitOf(b)]);
      assert.equal(codeA, 0, a.stdout());
      assert.equal(codeB, 0, b.stdout());
      const trained = (out: string) =>
        out
          .split('\n')
          .filter((l) => / complete$/.test(l))
          .map((l) => /\[\d+\/\d+ (.+)\] complete$/.exec(l)![1]);
      const byA = trained(a.stdout());
      const byB = trained(b.stdout());
      assert.ok(byA.length > 0 && byB.length > 0, `both trained runs:\n${a.stdout()}\n${b.stdout()}`);
      assert.deepEqual([...byA, ...byB].sort(), exp.runs.map((r) => r.runId).sort(), 'each run trained exactly once');
    } finally {
      endAll(procs);
    }
    const timeless = (path: string) =>
      readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(',').slice(0, 5).join(','));
    for (const run of exp.runs) {
      const rec = readRunRecord(runPaths(expDir, run.runId).run);
      assert.ok(rec.state === 'ok' && rec.value.status === 'complete', run.runId);
      assert.deepEqual(
        timeless(runPaths(expDir, run.runId).metrics),
        timeless(runPaths(join(reference, 'mnist-bs4'), run.runId).metrics),
        run.runId,
      );
      assert.equal(lockState(runPaths(expDir, run.runId).dir).state, 'free', 'no lock left');
    }
  });

  it("Ctrl-C to a second process leaves the first one's finished runs as they are", async () => {
    const args = [
      'run',
      'configs/mnist-bs4.yaml',
      '--set',
      'data.train=3000',
      '--set',
      'data.test=100',
      '--set',
      'model.hidden=[64]',
      '--set',
      'train.batchSize=4',
      '--set',
      'train.epochs=2',
      '--jobs',
      '1',
      '--no-report',
      '--no-check',
    ];
    const out = tmp('ctrlc');
    // The failure this guards against: the second process trained a run the first was training, the first
    // finished it, and Ctrl-C to the second then marked it interrupted. So the second is interrupted only
    // after the first has finished the run it was on when the second started.
    // Every process started, to end what a failed wait leaves behind.
    const procs: Background[] = [];
    const start = (name: string) => {
      const p = startRun(name, [...args, '--out', out]);
      procs.push(p);
      return p;
    };
    try {
      const first = start('the first process');
      const completed = () => (first.stdout().match(/ complete$/gm) ?? []).length;
      await waitFor(
        'the first process to complete its first run',
        () => /\[1\/3 norm=none\] complete/.test(first.stdout()),
        [first],
      );
      // Paused until the second has planned, so that runs are still left to the first whatever the second's
      // start-up takes (else the first could finish them all and never complete another below).
      first.child.kill('SIGSTOP');
      const second = start('the second process');
      await waitFor('the second process to plan its runs', () => /to run, \d+ already done/.test(second.stdout()), [
        second,
      ]);
      const completedBefore = completed();
      first.child.kill('SIGCONT');
      await waitFor('the first process to complete another run', () => completed() > completedBefore, [first, second]);
      second.child.kill('SIGINT');
      assert.equal(await exitOf(second), 130, second.stdout());
      assert.equal(await exitOf(first), 0, first.stdout());
    } finally {
      endAll(procs);
    }
    for (const norm of ['none', 'layer', 'batch']) {
      const rec = readRunRecord(join(out, 'mnist-bs4', `norm=${norm}`, 'run.json'));
      assert.ok(
        rec.state === 'ok' && rec.value.status === 'complete',
        `norm=${norm}: ${rec.state === 'ok' ? rec.value.status : rec.state}`,
      );
    }
  });
});

describe('5. corrupt inputs and result files', () => {
  it('a YAML alias bomb is one line, exit 2', () => {
    const file = join(tmp('bomb'), 'bomb.yaml');
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [prev, next] of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['d', 'e'],
      ['e', 'f'],
    ])
      levels.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    writeFileSync(file, `${levels.join('\n')}\n`);
    const r = cli(['run', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bomb\.yaml: cannot read this YAML: Excessive alias count/);
    noStack(r.stderr);
  });

  it('a truncated metrics.csv and an empty run.json: corrupt (not missing, not complete) in summary, check and report; run reruns them', () => {
    const out = tmp('corrupt');
    const fixture = join(ROOT, 'test', 'fixtures', 'tiny-claims.yaml');
    assert.equal(cli(['run', fixture, '--out', out, '--jobs', '1', '--quiet', '--no-report']).code, 0);
    const exp = join(out, 'tiny-claims');
    const metrics = join(exp, 'norm=layer,seed=1', 'metrics.csv');
    const text = readFileSync(metrics, 'utf8');
    writeFileSync(metrics, text.slice(0, text.trimEnd().lastIndexOf(',') + 1)); // the last line cut mid-row
    writeFileSync(join(exp, 'norm=none,seed=2', 'run.json'), '');
    const summary = cli(['summary', exp]);
    assert.equal(summary.code, 2);
    assert.match(summary.stdout, /corrupt +norm=layer,seed=1: .*metrics\.csv:\d+: /);
    assert.match(summary.stdout, /corrupt +norm=none,seed=2: .*run\.json: not valid JSON \(empty file\)/);
    const check = cli(['check', exp]);
    assert.equal(check.code, 2);
    assert.match(check.stdout, /MISSING[\s\S]*norm=layer,seed=1: corrupt \(.*metrics\.csv:\d+/);
    noStack(check.stderr);
    const report = cli(['report', exp]);
    assert.equal(report.code, 2);
    assert.match(report.stderr, /cannot be read[\s\S]*metrics\.csv:\d+/);
    noStack(report.stderr);
    const rerun = cli(['run', fixture, '--out', out, '--jobs', '1', '--no-report']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /2 to run, 2 already done/);
    assert.equal(cli(['summary', exp]).code, 0);
  });

  it('reads result files back as ok, missing or corrupt with file and line', () => {
    const dir = tmp('read');
    const csv = join(dir, 'metrics.csv');
    assert.equal(readMetrics(csv, 'train_nll').state, 'missing');
    writeFileSync(csv, 'epoch,step,train_nll,test_nll,test_error,seconds\n1,10,0.5,0.4,0.1,1.5\n2,20,0.4');
    const bad = readMetrics(csv, 'train_nll');
    assert.ok(bad.state === 'corrupt' && /metrics\.csv:3: malformed CSV/.test(bad.message), JSON.stringify(bad));
    writeFileSync(
      csv,
      'epoch,step,train_nll,test_nll,test_error,seconds\n1,10,0.5,0.4,0.1,1.5\n3,20,0.4,0.3,0.1,2.5\n',
    );
    const gap = readMetrics(csv, 'train_nll');
    assert.ok(gap.state === 'corrupt' && /metrics\.csv:3: epoch 3 where 2 belongs/.test(gap.message));
    writeFileSync(join(dir, 'run.json'), '{"status": "complete"');
    assert.equal(readRunRecord(join(dir, 'run.json')).state, 'corrupt');
    writeFileSync(join(dir, 'run.json'), '{"status": "bogus"}');
    assert.equal(readRunRecord(join(dir, 'run.json')).state, 'corrupt');
  });
});

describe('6. limits up front', () => {
  it('refuses a model too large for memory with its estimate (exit 2, nothing written)', () => {
    const out = join(tmp('huge'), 'out');
    for (const hidden of ['[10000000]', '[1000000]']) {
      const r = cli([
        'run',
        'configs/mnist-bs4.yaml',
        ...TINY,
        '--set',
        `model.hidden=${hidden}`,
        '--backend',
        'wasm',
        '--out',
        out,
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        /mnist-bs4\.yaml: run norm=none: needs about [\d.]+ GB \(7\.95e\+\d+ parameters.*wasm backend can address 4\.0 GB/,
      );
      assert.equal(existsSync(out), false);
    }
  });

  it('rejects a batch larger than the training set', () => {
    const r = cli([
      'run',
      'configs/mnist-bs4.yaml',
      '--set',
      'train.batchSize=1000000000',
      '--out',
      join(tmp('bs'), 'out'),
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /train\.batchSize: 1000000000 is larger than data\.train \(8000\)/);
  });

  it('warns about more jobs than cores and starts no more workers than runs', () => {
    const r = cli([
      'run',
      'configs/mnist-bs4.yaml',
      ...TINY,
      '--set',
      'sweep.model.norm=[none,layer]',
      '--jobs',
      '1000',
      '--out',
      tmp('jobs'),
      '--no-report',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--jobs 1000: more than this machine's \d+ CPU cores/);
    assert.match(r.stdout, /mnist-bs4: 2 run\(s\) -> \S+ \(2 jobs\)$/m);
  });
});

describe('7. messages', () => {
  it('a key of another model kind says so', () => {
    const r = cli(['run', 'configs/mnist-bs4.yaml', '--set', 'model.forgetBias=1', '--out', join(tmp('kind'), 'out')]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /model\.forgetBias: forgetBias is a key of model\.kind rnn, retrieval, draw, handwriting, reader, skipthought, not of model\.kind mlp/,
    );
  });

  it('data errors name the config file (bundled counts, a missing IDX folder, IDX files with too few images)', () => {
    const idx = tmp('idx');
    const header = (words: number[]) =>
      Buffer.concat(words.map((w) => Buffer.from([w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255])));
    for (const prefix of ['train', 't10k']) {
      writeFileSync(
        join(idx, `${prefix}-images-idx3-ubyte`),
        Buffer.concat([header([0x803, 5, 28, 28]), Buffer.alloc(5 * 784)]),
      );
      writeFileSync(join(idx, `${prefix}-labels-idx1-ubyte`), Buffer.concat([header([0x801, 5]), Buffer.alloc(5)]));
    }
    const few = cli([
      'run',
      'configs/mnist-bs4.yaml',
      '--set',
      'data.source=idx',
      '--set',
      `data.dir=${idx}`,
      '--out',
      join(idx, 'out'),
    ]);
    assert.equal(few.code, 2);
    assert.match(
      few.stderr,
      /^ln-repro: configs\/mnist-bs4\.yaml: data\.train: asked for 8000 examples, the IDX training .* has 5/,
    );
    const out = join(tmp('data'), 'out');
    for (const sets of [['data.train=9999'], ['data.source=idx', 'data.dir=/nonexistent']]) {
      const r = cli(['run', 'configs/mnist-bs4.yaml', ...sets.flatMap((s) => ['--set', s]), '--out', out]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^ln-repro: configs\/mnist-bs4\.yaml: /);
    }
    const copied = join(tmp('fixture'), 'x.yaml');
    cpSync(join(ROOT, 'configs', 'mnist-bs4.yaml'), copied);
    assert.match(
      cli(['run', copied, '--set', 'data.train=9999', '--out', out]).stderr,
      /x\.yaml: data\.train \+ data\.test/,
    );
  });
});
