// `ln-repro summary`: rebuilds summary.csv from the run folders (e.g. after sharded runs); no logic of its own.
import { Command } from 'commander';
import { loadExperimentFolder } from '../results/read';
import { summaryRows, writeSummary } from '../experiments/summary';
import { refuseSpecialFiles } from '../util/fs';

export function summaryCommand(): Command {
  return new Command('summary')
    .description('rebuild <dir>/summary.csv from its run folders and list the runs missing or not complete')
    .argument('<dir>', 'an experiment folder, <out>/<name>')
    .addHelpText(
      'after',
      '\nExample:\n  $ ln-repro summary results/mnist-batch-sweep\n\n' +
        'Exit codes: 0 every run complete, 1 runs missing or not complete, 2 not an experiment folder or a run folder\n' +
        'whose run.json or metrics.csv cannot be read back (corrupt; ln-repro run reruns those runs).',
    )
    .action((dir: string) => {
      const experiment = loadExperimentFolder(dir);
      refuseSpecialFiles(dir, ['summary.csv']);
      const path = writeSummary(dir, experiment.runs);
      const rows = summaryRows(dir, experiment.runs);
      const open = rows.filter((r) => r.status !== 'complete');
      console.log(`${path}: ${rows.length} run(s), ${rows.length - open.length} complete`);
      for (const r of open)
        console.log(
          `  ${String(r.status).padEnd(11)} ${String(r.run_id)}${typeof r.problem === 'string' ? `: ${r.problem}` : ''}`,
        );
      process.exitCode = rows.some((r) => r.status === 'corrupt') ? 2 : open.length === 0 ? 0 : 1;
    });
}
