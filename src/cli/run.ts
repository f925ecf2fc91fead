// `ln-repro run`: parses options and hands over to the experiment runner; no logic of its own.
import { Command, Option } from 'commander';
import { loadExperiment } from '../config/load';
import { enableFastPaths } from '../backend/fast';
import { BACKENDS, selectBackend, type BackendRequest } from '../backend/select';
import { loadAllData, runExperiment } from '../experiments/run-experiment';
import { experimentDir } from '../experiments/layout';
import { makeProgress, resultTable } from '../experiments/progress';
import { onInterrupt } from './interrupt';

interface RunOptions {
  set: string[];
  out: string;
  backend: BackendRequest;
  quiet: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function runCommand(): Command {
  return new Command('run')
    .description('train every run of an experiment config and write its metrics')
    .argument('<config>', 'experiment YAML file, e.g. configs/mnist-bs4.yaml')
    .option('--set <path=value>', 'override a config key by dotted path (repeatable), e.g. --set train.epochs=1', collect, [])
    .option('--out <dir>', 'results root; runs go to <dir>/<name>/<runId>/', 'results')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', ...BACKENDS]).default('auto'))
    .option('--quiet', 'print nothing but errors', false)
    .addHelpText(
      'after',
      `
Example:
  $ ln-repro run configs/mnist-bs4.yaml --set train.epochs=1 --set data.train=500 --out /tmp/results

Exit codes: 0 all runs complete, 1 a run failed or diverged, 2 bad input (nothing written), 130 interrupted.`,
    )
    .action(async (config: string, opts: RunOptions) => {
      process.exitCode = await run(config, opts);
    });
}

async function run(file: string, opts: RunOptions): Promise<number> {
  const experiment = loadExperiment({ file, sets: opts.set });
  const data = loadAllData(experiment.runs);
  const backend = await selectBackend(opts.backend);
  enableFastPaths();
  const progress = makeProgress({ quiet: opts.quiet, tty: Boolean(process.stderr.isTTY) });
  const skipped = backend.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  progress.log(`backend: ${backend.name}${skipped ? ` (not available: ${skipped})` : ''}`);
  progress.log(`${experiment.name}: ${experiment.runs.length} run(s) -> ${experimentDir(opts.out, experiment.name)}`);
  const interrupt = onInterrupt(() => progress.log('interrupted: finishing the current step (Ctrl-C again to quit at once)'));
  try {
    const outcomes = await runExperiment({ experiment, outRoot: opts.out, backend: backend.name, progress, data, shouldStop: interrupt.requested });
    for (const line of resultTable(outcomes)) progress.log(line);
    progress.log(`results: ${experimentDir(opts.out, experiment.name)}/summary.csv`);
    if (interrupt.requested()) return 130;
    return outcomes.every((o) => o.status === 'complete') ? 0 : 1;
  } finally {
    interrupt.dispose();
    progress.stop();
  }
}
