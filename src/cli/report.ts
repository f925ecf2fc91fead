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
    .addHelpText(
      'after',
      '\nExample:\n  $ ln-repro report results/mnist-bs4\n\nExit codes: 0 written, 2 not an experiment folder or no results yet.',
    )
    .action(async (dirs: string[]) => {
      for (const dir of dirs) refuseSpecialFiles(dir, reportFiles(dir)); // every folder before the first is written
      for (const dir of dirs) {
        const r = await writeReport(dir);
        console.log(`${dir}/report.md (${r.figures.map((f) => f.png).join(', ')})`);
      }
    });
}
