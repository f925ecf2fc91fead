// The cluster templates of examples/ as a scheduler would run them, without the scheduler: the Slurm job-array
// script with the environment Slurm gives an array task (a real Slurm is not installed here).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, ROOT } from './cli-runner';

const CONFIG = join(ROOT, 'test', 'fixtures', 'tiny-claims.yaml');

/** examples/slurm-array.sh run from the repository root as array task `task` of an array of `count`. */
function arrayTask(task: string, count: string, args: string[], out: string) {
  const r = spawnSync('bash', ['examples/slurm-array.sh', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, SLURM_ARRAY_TASK_ID: task, SLURM_ARRAY_TASK_COUNT: count, LN_REPRO_OUT: out },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('examples/slurm-array.sh', () => {
  it("logs/ exists in the repository (Slurm opens the tasks' logs there before the script runs)", () =>
    assert.ok(existsSync(join(ROOT, 'logs', '.gitkeep'))));

  it('a 0-based array is refused with the submission that works, before anything runs', () => {
    const out = mkdtempSync(join(tmpdir(), 'ln-repro-slurm-'));
    const r = arrayTask('0', '2', [CONFIG], out);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /array task 0 is outside 1\.\.2: the array must be 1-based, submit with sbatch --array=1-2/);
    assert.ok(!existsSync(join(out, 'tiny-claims')), 'nothing written');
    assert.equal(arrayTask('3', '2', [CONFIG], out).code, 2, 'past the end too');
  });

  it('two array tasks complete the sweep; one task resubmitted alone takes N from the command line', () => {
    const out = mkdtempSync(join(tmpdir(), 'ln-repro-slurm-'));
    // Task 2 resubmitted alone (sbatch --array=2 ... CONFIG 2): Slurm says the array has 1 task.
    const second = arrayTask('2', '1', [CONFIG, '2'], out);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /in shard 2\/2/);
    assert.equal(cli(['check', join(out, 'tiny-claims')]).code, 2, 'half the sweep is missing');
    const first = arrayTask('1', '2', [CONFIG], out);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(cli(['check', join(out, 'tiny-claims')]).code, 0);
    const again = arrayTask('1', '2', [CONFIG], out);
    assert.match(again.stdout, /0 to run, 2 already done/, 'a resubmitted array reruns nothing');
  });
});

describe('examples/github-actions/sweep.yml', () => {
  const workflow = readFileSync(join(ROOT, 'examples', 'github-actions', 'sweep.yml'), 'utf8');

  it('shards 1..N over the matrix, N its size, and a rerun shard replaces its artifact', () => {
    const shards = /shard: \[([\d, ]+)\]/.exec(workflow)?.[1].split(',').map(Number);
    assert.deepEqual(
      shards,
      Array.from({ length: shards?.length ?? 0 }, (_, i) => i + 1),
      'a 1-based matrix',
    );
    assert.ok(workflow.includes('--shard ${{ matrix.shard }}/${{ strategy.job-total }} '));
    assert.match(workflow, /overwrite: true/);
  });
});

describe('Dockerfile and examples/k8s-indexed-job.yaml', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const job = readFileSync(join(ROOT, 'examples', 'k8s-indexed-job.yaml'), 'utf8');

  it('the image the template names is the one the Dockerfile says to build, run where the template runs', () => {
    const image = /image: (\S+)/.exec(job)?.[1];
    assert.equal(image, 'ln-repro:latest');
    assert.ok(dockerfile.includes(`docker build -t ${image} .`), 'the Dockerfile says how to build it');
    assert.match(dockerfile, /^FROM node:20-slim$/m);
    assert.equal(/^WORKDIR (\S+)$/m.exec(dockerfile)?.[1], /workingDir: (\S+)/.exec(job)?.[1]);
    assert.match(dockerfile, /^ENTRYPOINT \["\.\/bin\/ln-repro"\]$/m);
  });

  it("shards 1..N with N = completions (the pods' indexes are 0-based)", () => {
    const completions = /completions: (\d+)/.exec(job)?.[1];
    assert.match(job, new RegExp(`--shard \\$\\(\\(JOB_COMPLETION_INDEX \\+ 1\\)\\)/${completions} `));
  });

  it('runs npm scripts that exist, and leaves tfjs-node-gpu out but not the optional native bindings', () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: object }).scripts,
    );
    for (const [, name] of dockerfile.matchAll(/npm run (\S+)/g)) assert.ok(scripts.includes(name), name);
    assert.match(dockerfile, /npm ci --ignore-scripts .*&& rm -rf node_modules\/@tensorflow\/tfjs-node-gpu/);
    assert.doesNotMatch(dockerfile, /^RUN .*--omit=optional/m, "resvg's native binding is an optional dependency");
  });
});
