// `ln-repro check`: the verdict on each claim of one or more experiment folders; no logic of its own.
import { Command } from 'commander';
import { checkExperiment } from '../experiments/check';
import { loadExperimentFolder } from '../results/read';
import { checkOutputFile, refuseSpecialFiles } from '../util/fs';

export function checkCommand(): Command {
  return new Command('check')
    .description("check experiments' claims (their configs' expect: lists) against their results")
    .argument('<dir...>', 'one or more experiment folders, <out>/<name>')
    .option(
      '--json <file>',
      'also write the verdicts as JSON (one folder only; they are always written to <dir>/check.json)',
    )
    .option('--allow-mixed', 'check a folder with runs of another config than its experiment.yaml, labelling them')
    .addHelpText(
      'after',
      '\nExample:\n  $ ln-repro check results/ci/ci-batch-size --json verdicts.json\n  $ ln-repro check results/ci/*\n\n' +
        'Verdicts: PASS, FAIL, XFAIL (a known deviation, still failing), XPASS (a known deviation that now holds), MISSING.\n' +
        'Every run of the experiment must have a result (complete or diverged), claims or not: a partial sweep is MISSING.\n' +
        'Runs that ran with another config than experiment.yaml (its config_hash) are refused (exit 2) unless --allow-mixed.\n' +
        'Exit codes: 0 no claim fails, 1 a claim fails or XPASSes, 2 runs missing (or without a result) or bad input.',
    )
    .action(checkAll);
}

interface CheckCommandOptions {
  json?: string;
  allowMixed?: boolean;
}

/** Checks each folder in turn; the exit code is the worst of theirs. */
function checkAll(dirs: string[], opts: CheckCommandOptions): void {
  if (opts.json) checkOutputFile(opts.json, '--json');
  for (const dir of dirs) refuseSpecialFiles(dir, ['check.json']); // every folder before the first is written
  let exitCode = 0;
  let passed = 0;
  let failed = 0;
  for (const dir of dirs) {
    const experiment = loadExperimentFolder(dir, { strictClaims: true }); // a claim refused today is bad input
    console.log(`${dir}:`);
    const outcome = checkExperiment(dir, experiment, {
      json: dirs.length === 1 ? opts.json : undefined,
      allowMixed: opts.allowMixed,
    });
    outcome.lines.forEach((l) => console.log(l));
    passed += outcome.results.filter((r) => r.verdict === 'PASS' || r.verdict === 'XFAIL').length;
    failed += outcome.results.filter(
      (r) => r.verdict === 'FAIL' || r.verdict === 'XPASS' || r.verdict === 'MISSING',
    ).length;
    if (outcome.unfinished.length > 0) failed += 1; // the experiment's runs, one check
    exitCode = Math.max(exitCode, outcome.exitCode);
  }
  if (dirs.length > 1) console.log(`checks: ${passed} passed, ${failed} failed`);
  process.exitCode = exitCode;
}
