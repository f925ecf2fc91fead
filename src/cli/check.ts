// `ln-repro check`: the verdict on each claim of an experiment folder; no logic of its own.
import { Command } from 'commander';
import { checkExperiment } from '../experiments/check';
import { loadExperimentFolder } from '../experiments/folder';

export function checkCommand(): Command {
  return new Command('check')
    .description("check an experiment's claims (its config's expect: list) against its results")
    .argument('<dir>', 'an experiment folder, <out>/<name>')
    .option('--json <file>', 'also write the verdicts as JSON (they are always written to <dir>/check.json)')
    .addHelpText(
      'after',
      '\nExample:\n  $ ln-repro check results/ci-batch-size --json verdicts.json\n\nVerdicts: PASS, FAIL, XFAIL (a known deviation, still failing), XPASS (a known deviation that now holds), MISSING.\nExit codes: 0 no claim fails, 1 a claim fails or XPASSes, 2 runs missing or bad input.',
    )
    .action((dir: string, opts: { json?: string }) => {
      const experiment = loadExperimentFolder(dir);
      if (experiment.claims.length === 0) {
        console.log(`${dir}: the experiment has no claims (no expect: list)`);
        return;
      }
      const outcome = checkExperiment(dir, experiment, opts.json);
      outcome.lines.forEach((l) => console.log(l));
      process.exitCode = outcome.exitCode;
    });
}
