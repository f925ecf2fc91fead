// `ln-repro report`: report.md and figures for one or more experiment folders; no logic of its own.
import { Command } from 'commander';
import { writeReport } from '../report/report';
import { reportFiles } from '../results/layout';
import { refuseSpecialFiles } from '../util/fs';

export function reportCommand(): Command {
  return new Command('report')
    .description(
      'write report.md and figures (SVG and PNG: learning curves, sweeps, recall, claims) into experiment folders',
    )
    .argument('<dir...>', 'one or more experiment folders, <out>/<name>')
    .option('--allow-mixed', 'report a folder with runs of another config than its experiment.yaml, labelling them')
    .addHelpText(
      'after',
      '\nExample:\n  $ ln-repro report results/mnist-bs4\n\nExit codes: 0 written, 2 not an experiment folder, no results yet, or runs of another config\nthan experiment.yaml (their run.json config_hash) without --allow-mixed.',
    )
    .action(async (dirs: string[], opts: { allowMixed?: boolean }) => {
      for (const dir of dirs) refuseSpecialFiles(dir, reportFiles(dir)); // every folder before the first is written
      for (const dir of dirs) {
        const r = await writeReport(dir, { allowMixed: opts.allowMixed });
        console.log(`${dir}/report.md (${r.figures.map((f) => f.png).join(', ')})`);
      }
    });
}
