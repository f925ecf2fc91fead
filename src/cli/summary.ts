// `ln-repro summary`: rebuilds summary.csv from the run folders (e.g. after sharded runs); no logic of its own.
import { Command } from 'commander';
import { loadExperimentFolder } from '../results/read';
import { describeDrift, refuseMixed } from '../results/mixed';
import { summaryRows, writeSummary } from '../experiments/summary';
import { refuseSpecialFiles } from '../util/fs';

export function summaryCommand(): Command {
  return new Command('summary')
    .description('rebuild <dir>/summary.csv from its run folders and list the runs missing or not complete')
    .argument('<dir>', 'an experiment folder, <out>/<name>')
    .option('--allow-mixed', 'summarize a folder with runs of another config than its experiment.yaml, labelling them')
    .addHelpText(
      'after',
      '\nExample:\n  $ ln-repro summary results/mnist-batch-sweep\n\n' +
        'Exit codes: 0 every run complete, 1 runs missing or not complete, 2 not an experiment folder or a run folder\n' +
        'whose run.json or metrics.csv cannot be read back (corrupt; ln-repro run reruns those runs), or finished runs\n' +
        'of another config than experiment.yaml (their run.json config_hash; --allow-mixed lists them, labelled).',
    )
    .action((dir: string, opts: { allowMixed?: boolean }) => {
      const experiment = loadExperimentFolder(dir);
      refuseSpecialFiles(dir, ['summary.csv']);
      const rows = summaryRows(dir, experiment.runs);
      const mixed = rows.flatMap((r) => (r.drift ? [r.drift] : []));
      refuseMixed(dir, mixed, opts.allowMixed ?? false);
      const path = writeSummary(dir, experiment.runs, rows);
      const open = rows.filter((r) => r.status !== 'complete');
      const other = mixed.length ? ` (${mixed.length} of another config than experiment.yaml)` : '';
      console.log(`${path}: ${rows.length} run(s), ${rows.length - open.length} complete${other}`);
      for (const r of open) console.log(`  ${r.status.padEnd(11)} ${r.run_id}${r.problem ? `: ${r.problem}` : ''}`);
      for (const d of mixed) console.log(`  ${'other config'.padEnd(11)} ${d.runId}: ${describeDrift(d)}`);
      process.exitCode = rows.some((r) => r.status === 'corrupt') ? 2 : open.length === 0 ? 0 : 1;
    });
}
