// Checks an experiment's claims against its run folders and records the verdicts in <dir>/check.json.
import { join } from 'node:path';
import type { Experiment } from '../config/load';
import { writeJson } from '../metrics/files';
import { checkExitCode, evaluateClaim, formatClaim, type ClaimResult } from '../results/claims';
import { readRunResults } from '../results/read';

export interface CheckOutcome {
  results: ClaimResult[];
  exitCode: number;
  lines: string[];
}

export function checkExperiment(dir: string, experiment: Experiment, jsonFile?: string): CheckOutcome {
  const runs = readRunResults(dir, experiment.runs);
  const results = experiment.claims.map((c) => evaluateClaim(c, runs));
  const count = (v: string) => results.filter((r) => r.verdict === v).length;
  const lines = [
    ...results.flatMap(formatClaim),
    `claims: ${count('PASS')} pass, ${count('FAIL')} fail, ${count('XFAIL')} xfail, ${count('XPASS')} xpass, ${count('MISSING')} missing`,
  ];
  const record = { experiment: experiment.name, checked: new Date().toISOString(), claims: results };
  writeJson(join(dir, 'check.json'), record);
  if (jsonFile) writeJson(jsonFile, record);
  return { results, exitCode: checkExitCode(results), lines };
}
