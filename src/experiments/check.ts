// Checks an experiment's claims against its run folders and records the verdicts in <dir>/check.json.
import { join } from 'node:path';
import type { Experiment } from '../config/load';
import { writeJson } from '../util/fs';
import { checkExitCode, evaluateClaim, formatClaim, type ClaimResult } from '../results/claims';
import { driftsOf, isFinished, readRunResults, type RunResult } from '../results/read';
import { driftLines, refuseMixed } from '../results/mixed';

export interface CheckOutcome {
  results: ClaimResult[];
  /** Runs of the experiment without a result yet (missing, running, interrupted, failed or corrupt). */
  unfinished: { run_id: string; status: string }[];
  exitCode: number;
  lines: string[];
}

/** Runs listed by name in a MISSING line, at most. */
const LISTED = 10;

/** The line that says which runs have no result, e.g. `MISSING runs: 2 of 8 have no result: a (missing), b (failed)`. */
function missingLine(unfinished: CheckOutcome['unfinished'], total: number): string {
  const named = unfinished.slice(0, LISTED).map((u) => `${u.run_id} (${u.status})`);
  const more = unfinished.length > LISTED ? `, and ${unfinished.length - LISTED} more` : '';
  return `MISSING runs: ${unfinished.length} of ${total} have no result: ${named.join(', ')}${more}`;
}

const unfinishedOf = (runs: readonly RunResult[]) =>
  runs.filter((r) => !isFinished(r.status)).map((r) => ({ run_id: r.runId, status: r.status }));

export interface CheckOptions {
  /** Where else to write the verdicts (--json). */
  json?: string;
  /** Check a folder with runs of another config than experiment.yaml's, labelling them (else refused, exit 2). */
  allowMixed?: boolean;
}

/**
 * The claims' verdicts and the runs without a result. A partial sweep (a shard or array task that did not run,
 * or failed) exits 2 whether or not the experiment states claims, so that a scheduler's dependency job fails.
 */
export function checkExperiment(dir: string, experiment: Experiment, opts: CheckOptions = {}): CheckOutcome {
  const runs = readRunResults(dir, experiment.runs);
  const drifts = driftsOf(runs);
  refuseMixed(dir, drifts, opts.allowMixed ?? false);
  const results = experiment.claims.map((c) => evaluateClaim(c, runs));
  const unfinished = unfinishedOf(runs);
  const count = (v: string) => results.filter((r) => r.verdict === v).length;
  const mixed = drifts.length
    ? [`${drifts.length} run(s) ran with another config than experiment.yaml (--allow-mixed):`, ...driftLines(drifts)]
    : [];
  const lines = [
    ...mixed,
    ...results.flatMap(formatClaim),
    results.length === 0
      ? 'claims: none (no expect: list)'
      : `claims: ${count('PASS')} pass, ${count('FAIL')} fail, ${count('XFAIL')} xfail, ${count('XPASS')} xpass, ${count('MISSING')} missing`,
    unfinished.length > 0 ? missingLine(unfinished, runs.length) : `runs: all ${runs.length} have a result`,
  ];
  const record = {
    experiment: experiment.name,
    checked: new Date().toISOString(),
    claims: results,
    runs: { total: runs.length, unfinished },
    ...(drifts.length ? { other_config: drifts } : {}),
  };
  writeJson(join(dir, 'check.json'), record);
  if (opts.json) writeJson(opts.json, record);
  const exitCode = Math.max(checkExitCode(results), unfinished.length > 0 ? 2 : 0);
  return { results, unfinished, exitCode, lines };
}
