// `ln-repro run`: parses its options, then loads every experiment and its data, refuses runs the backend cannot
// hold and picks how many run at once (src/experiments/limits.ts), runs each experiment (run-experiment.ts) and
// prints its table, claims and report. tfjs and the training code load when the command runs, not with the CLI.
import { Command, Option } from 'commander';
import { BACKENDS, type BackendName, type BackendRequest } from '../backend/names';
import { loadExperiments, type Experiment } from '../config/load';
import { UserError } from '../errors';
import { checkExperiment } from '../experiments/check';
import type { DataLoader } from '../experiments/data';
import { parseShard } from '../experiments/shard';
import { checkRunOutputs, experimentDir } from '../results/layout';
import { taskOf } from '../tasks/catalog';
import { makeProgress, resultTable, type Progress } from '../experiments/progress';
import type { RunOutcome } from '../experiments/run-one';
import { writeReport } from '../report/report';
import { onInterrupt } from './interrupt';

/** The modules that load tfjs, loaded by the command (so that `ln-repro report`, `check` and `--help` need none). */
async function trainingModules() {
  const [fast, select, limits, runner] = await Promise.all([
    import('../backend/fast'),
    import('../backend/select'),
    import('../experiments/limits'),
    import('../experiments/run-experiment'),
  ]);
  return { ...fast, ...select, ...limits, ...runner };
}

interface RunOptions {
  set: string[];
  out: string;
  backend: BackendRequest;
  jobs?: string;
  shard?: string;
  force: boolean;
  check: boolean;
  report: boolean;
  quiet: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function runCommand(): Command {
  return new Command('run')
    .description('train every run of an experiment config and write its metrics')
    .argument(
      '<config>',
      'experiment YAML file, e.g. configs/mnist-bs4.yaml (several experiments: YAML documents separated by ---)',
    )
    .option(
      '--set <path=value>',
      'override a config key by dotted path (repeatable), e.g. --set train.epochs=1',
      collect,
      [],
    )
    .option('--out <dir>', 'results root; runs go to <dir>/<name>/<runId>/', 'results')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', ...BACKENDS]).default('auto'))
    .option(
      '--jobs <n>',
      'runs in parallel, each in its own worker process (default: CPU cores; 1 on the tensorflow and webgpu backends)',
    )
    .option('--shard <i/n>', 'run only the i-th of n disjoint slices of the runs (1-based), e.g. for a job array')
    .option('--force', 'rerun runs already finished with the same config', false)
    .option('--no-check', "do not check the config's claims at the end (ln-repro check does it later)")
    .option('--no-report', 'do not write report.md and figures at the end (ln-repro report does it later)')
    .option('--quiet', 'print nothing but errors', false)
    .addHelpText(
      'after',
      `
Example:
  $ ln-repro run configs/mnist-bs4.yaml --set train.epochs=1 --set data.train=500 --out /tmp/results

Exit codes: 0 all runs complete (and the config's claims hold), 1 a run failed or diverged or a claim failed,
2 bad input (nothing written), 130 interrupted.`,
    )
    .action(async (config: string, opts: RunOptions) => {
      process.exitCode = await run(config, opts);
    });
}

function parseJobs(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--jobs ${text}: expected a whole number >= 1`);
  return n;
}

async function run(file: string, opts: RunOptions): Promise<number> {
  const requestedJobs = opts.jobs === undefined ? undefined : parseJobs(opts.jobs);
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  const experiments = loadExperiments({ file, sets: opts.set });
  checkRunOutputs({ outRoot: opts.out, experiments, check: opts.check && !shard, report: opts.report && !shard });
  const { loadAllData, selectBackend, checkMemory, enableFastPaths, jobsFor, backendLine, runExperiment } =
    await trainingModules();
  const data = loadAllData(experiments);
  const backend = await selectBackend(opts.backend);
  const largest = checkMemory(experiments, backend.name, data);
  enableFastPaths();
  const progress = makeProgress({ quiet: opts.quiet, tty: Boolean(process.stderr.isTTY) });
  const log = (line: string) => progress.event({ kind: 'log', line });
  const jobs = jobsFor(requestedJobs, backend.name, largest, log);
  log(backendLine(backend));
  const interrupt = onInterrupt(() => log('interrupted: finishing the current step (Ctrl-C again to quit at once)'));
  try {
    let code = 0;
    for (const experiment of experiments) {
      if (interrupt.requested()) break;
      code = Math.max(
        code,
        await runOneExperiment(experiment, {
          opts,
          backend: backend.name,
          jobs,
          shard,
          data,
          progress,
          interrupt,
          runExperiment,
        }),
      );
    }
    return interrupt.requested() ? 130 : code;
  } finally {
    interrupt.dispose();
    progress.stop();
  }
}

interface Context {
  opts: RunOptions;
  backend: BackendName;
  jobs: number;
  shard: ReturnType<typeof parseShard> | undefined;
  data: DataLoader;
  progress: Progress;
  interrupt: ReturnType<typeof onInterrupt>;
  runExperiment: (typeof import('../experiments/run-experiment'))['runExperiment'];
}

/** One experiment of the file: its runs, result table and claims; returns its exit code (0 or 1). */
async function runOneExperiment(experiment: Experiment, c: Context): Promise<number> {
  const { opts, progress, interrupt } = c;
  const log = (line: string) => progress.event({ kind: 'log', line });
  const dir = experimentDir(opts.out, experiment.name);
  const jobs = Math.min(c.jobs, experiment.runs.length);
  log(`${experiment.name}: ${experiment.runs.length} run(s) -> ${dir}${jobs > 1 ? ` (${jobs} jobs)` : ''}`);
  const outcomes = await c.runExperiment({
    experiment,
    outRoot: opts.out,
    backend: c.backend,
    progress,
    data: c.data,
    jobs: c.jobs,
    shard: c.shard,
    force: opts.force,
    shouldStop: interrupt.requested,
    stopRequested: interrupt.signalled,
  });
  logResults(experiment, outcomes, log);
  log(`results: ${dir}/summary.csv`);
  if (interrupt.requested()) return 1;
  const runsOk = outcomes.every((o) => o.status === 'complete');
  if (c.shard) {
    log(
      `claims: not checked in a shard, nor the report written; after every shard has run: ln-repro summary ${dir} && ln-repro check ${dir} && ln-repro report ${dir}`,
    );
    return runsOk ? 0 : 1;
  }
  const checked = experiment.claims.length > 0 && opts.check ? checkClaims(dir, experiment, log) : true;
  const reported = opts.report && outcomes.some((o) => o.final) ? await report(dir, log) : true;
  return runsOk && checked && reported ? 0 : 1;
}

/** The closing table of the runs' statuses and final metrics; `*` marks runs finished before. */
function logResults(experiment: Experiment, outcomes: readonly RunOutcome[], log: (line: string) => void): void {
  const columns = taskOf(experiment.runs[0].config).tableColumns;
  const rows = outcomes.map((o) => ({ ...o, status: o.skipped ? `${o.status}*` : o.status }));
  resultTable(columns, rows).forEach(log);
  if (outcomes.some((o) => o.skipped))
    log(
      '* finished by an earlier (or a concurrent) ln-repro run with the same config, not rerun here (--force reruns)',
    );
}

/** The claims' verdicts after the runs; false when one fails (or they could not be checked). */
function checkClaims(dir: string, experiment: Experiment, log: (line: string) => void): boolean {
  try {
    const check = checkExperiment(dir, experiment);
    check.lines.forEach(log);
    return check.exitCode === 0;
  } catch (err) {
    // e.g. check.json cannot be written: the runs' results stand; ln-repro check can do it later.
    log(`claims: not checked (${(err as Error).message}); try: ln-repro check ${dir}`);
    return false;
  }
}

/** report.md and its figures after the runs; false when they could not be written. */
async function report(dir: string, log: (line: string) => void): Promise<boolean> {
  try {
    const written = await writeReport(dir);
    log(`report: ${dir}/report.md (${written.figures.map((f) => f.png).join(', ')})`);
    return true;
  } catch (err) {
    // The runs' results stand; the report can be made again with ln-repro report (a user error says what to do
    // first, e.g. when every run diverged there is nothing to plot).
    const retry = err instanceof UserError ? '' : `; try: ln-repro report ${dir}`;
    log(`report: not written (${(err as Error).message})${retry}`);
    return false;
  }
}
