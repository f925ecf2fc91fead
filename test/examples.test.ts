// The cluster templates of examples/ as a scheduler would run them, without the scheduler: the Slurm job-array
// script with the environment Slurm gives an array task (a real Slurm is not installed here); the GitHub Actions
// workflow, the Kubernetes Job and the Dockerfile parsed, their ln-repro command lines run through their shells.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import YAML from 'yaml';
import { loadExperiments } from '../src/config/load';
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

/** A GitHub Actions step, and the jobs of a workflow, as far as these tests read them. */
interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  jobs: Record<string, { strategy?: { matrix?: Record<string, unknown> }; steps: Step[] }>;
}

/** A Kubernetes Job, as far as these tests read it. */
interface K8sJob {
  kind: string;
  spec: {
    completionMode?: string;
    completions: number;
    template: { spec: { containers: { image: string; workingDir?: string; command: string[]; args: string[] }[] } };
  };
}

/**
 * The arguments ./bin/ln-repro gets when `argv` (a program and its arguments, the last a shell script that starts
 * ./bin/ln-repro) runs with `env`: the script runs in its real shell, ln-repro replaced by printf, one argument a line.
 */
function lnReproArgs(argv: string[], env: Record<string, string> = {}): string[] {
  const script = argv[argv.length - 1];
  assert.match(script, /^\.\/bin\/ln-repro /, 'the script runs ./bin/ln-repro');
  const printing = script.replace('./bin/ln-repro', "printf '%s\\n'");
  const r = spawnSync(argv[0], [...argv.slice(1, -1), printing], { encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').slice(0, -1);
}

/** The value after `name` in `args`. */
function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

/** `text` with its GitHub Actions expressions ${{ ... }} replaced from `context`; any other expression fails. */
function expand(text: string, context: Record<string, string>): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    assert.ok(expr in context, `an expression this test does not know: \${{ ${expr} }}`);
    return context[expr];
  });
}

describe('examples/github-actions/sweep.yml', () => {
  const workflow = YAML.parse(readFileSync(join(ROOT, 'examples', 'github-actions', 'sweep.yml'), 'utf8')) as Workflow;

  it('shards 1..N over the matrix, N its size, and a rerun shard replaces its artifact', () => {
    const { strategy, steps } = workflow.jobs.shard;
    const shards = strategy?.matrix?.shard as number[];
    assert.ok(Array.isArray(shards) && shards.length > 1, `a matrix of shards: ${JSON.stringify(strategy)}`);
    assert.deepEqual(
      shards,
      shards.map((_, i) => i + 1),
      'a 1-based matrix',
    );
    const run = steps.findIndex((s) => s.run?.startsWith('./bin/ln-repro run '));
    const upload = steps.findIndex((s) => s.uses?.startsWith('actions/upload-artifact@'));
    assert.ok(run >= 0 && upload > run, 'a step runs ln-repro, a later one uploads what it wrote');
    const up = steps[upload].with!;
    assert.equal(up.overwrite, true, 'a rerun shard replaces its artifact');
    const gather = workflow.jobs.gather.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!.with!;
    const gathered = new RegExp(`^${String(gather.pattern).replace(/\*/g, '.*')}$`);
    assert.equal(gather['merge-multiple'], true, "the gather job merges the shards' artifacts into one folder");
    // The matrix as it is and grown by one: the shard count follows the matrix with no second edit.
    for (const total of [shards.length, shards.length + 1]) {
      const names = new Set<string>();
      for (let shard = 1; shard <= total; shard++) {
        const context = { 'matrix.shard': String(shard), 'strategy.job-total': String(total) };
        // Actions runs a step's `run` with bash.
        const args = lnReproArgs(['bash', '-c', expand(steps[run].run!, context)]);
        assert.equal(option(args, '--shard'), `${shard}/${total}`, args.join(' '));
        const experiment = loadExperiments({ file: join(ROOT, args[1]), sets: [] })[0].name;
        assert.equal(up.path, `${option(args, '--out')}/${experiment}`, "the upload holds the shard's run folders");
        assert.equal(gather.path, up.path, 'the gather job puts them where the shards wrote them');
        const name = expand(String(up.name), context);
        assert.match(name, gathered, 'the gather job downloads every shard');
        names.add(name);
      }
      assert.equal(names.size, total, 'each shard its own artifact');
    }
  });
});

describe('Dockerfile and examples/k8s-indexed-job.yaml', () => {
  const dockerfile = DockerfileParser.parse(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const job = YAML.parse(readFileSync(join(ROOT, 'examples', 'k8s-indexed-job.yaml'), 'utf8')) as K8sJob;
  const containers = job.spec.template.spec.containers;
  /** The arguments of each instruction `keyword`, continuation lines joined. */
  const instructions = (keyword: string) =>
    dockerfile
      .getInstructions()
      .filter((i) => i.getKeyword() === keyword)
      .map((i) => i.getArgumentsContent() ?? '');

  it('the image the template names is the one the Dockerfile says to build, run where the template runs', () => {
    assert.equal(containers.length, 1);
    const [{ image, workingDir }] = containers;
    assert.equal(image, 'ln-repro:latest');
    assert.ok(
      dockerfile.getComments().some((c) => c.getContent() === `docker build -t ${image} .`),
      'the Dockerfile says how to build it',
    );
    assert.deepEqual(instructions('FROM'), ['node:20-slim']);
    assert.equal(instructions('WORKDIR').at(-1), workingDir);
    const entrypoints = dockerfile.getENTRYPOINTs();
    assert.equal(entrypoints.length, 1);
    assert.deepEqual(
      entrypoints[0].getJSONStrings().map((s) => s.getJSONValue()),
      ['./bin/ln-repro'],
      'exec form, so that the arguments of `docker run` reach ln-repro',
    );
  });

  it("shards 1..N with N = completions (the pods' indexes are 0-based)", () => {
    assert.equal(job.kind, 'Job');
    assert.equal(job.spec.completionMode, 'Indexed', 'each pod gets JOB_COMPLETION_INDEX');
    const n = job.spec.completions;
    const [{ command, args }] = containers;
    for (let index = 0; index < n; index++) {
      const argv = lnReproArgs([...command, ...args], { JOB_COMPLETION_INDEX: String(index) });
      assert.equal(option(argv, '--shard'), `${index + 1}/${n}`, argv.join(' '));
    }
  });

  it('runs npm scripts that exist, and leaves tfjs-node-gpu out but not the optional native bindings', () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: object }).scripts,
    );
    // Each RUN's commands, as words (the RUNs here are `&&` chains of plain commands).
    const runs = instructions('RUN').map((script) => script.split('&&').map((c) => c.trim().split(/\s+/)));
    for (const [program, verb, name] of runs.flat())
      if (program === 'npm' && verb === 'run') assert.ok(scripts.includes(name), name);
    const install = runs.find((commands) => commands.some(([program, verb]) => program === 'npm' && verb === 'ci'));
    assert.ok(install, 'npm ci');
    assert.ok(install.flat().includes('--ignore-scripts'), "tfjs-node-gpu's install script is skipped");
    assert.ok(
      install.some((c) => c.join(' ') === 'rm -rf node_modules/@tensorflow/tfjs-node-gpu'),
      'and the package removed in the same layer',
    );
    assert.ok(!runs.flat(2).includes('--omit=optional'), "resvg's native binding is an optional dependency");
  });
});
