// Runs of another config than the folder's experiment.yaml: each run.json records the hash of the config it ran with
// (config_hash), and `run` reruns a finished run whose hash is not that of its config now. Until it does (shards run
// with different --set, a rerun with a changed config that stopped early), summary, check and report would give one
// verdict on runs of two configs: they refuse such a folder, or with --allow-mixed label those runs. A run whose own
// config.yaml, read with today's defaults, is experiment.yaml's config ran with the same settings under an older
// ln-repro whose config had fewer keys: it is not of another config (run reruns it all the same, as its hash differs).
import { existsSync, readFileSync } from 'node:fs';
import YAML from 'yaml';
import { configHash } from '../config/hash';
import { sameValue } from '../config/paths';
import { runConfigSchema } from '../config/schema';
import type { RunSpec } from '../config/sweep';
import { show } from '../config/zod-messages';
import { UserError } from '../errors';
import { isRecord } from '../util/values';
import { runPaths, type RunRecord } from './layout';

/** A finished run whose config is not the one experiment.yaml gives it. */
export interface Drift {
  runId: string;
  status: string;
  /** Each dotted key whose value differs: this run's value, and experiment.yaml's. */
  keys: { key: string; ran: unknown; expected: unknown }[];
  /** Why the keys are not known (the run's own config.yaml is missing, or is not the config it ran with). */
  unknown?: string;
}

/** Runs listed by name in a refusal, at most. */
const LISTED = 10;

/** The dotted keys at which two configs differ (lists compared whole), with both values. */
function differences(ran: unknown, expected: unknown, prefix = ''): Drift['keys'] {
  if (!isRecord(ran) || !isRecord(expected)) return sameValue(ran, expected) ? [] : [{ key: prefix, ran, expected }];
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(ran)])];
  return keys.flatMap((k) => differences(ran[k], expected[k], prefix ? `${prefix}.${k}` : k));
}

/** The config a run ran with: its config.yaml when that is the config of its run.json's hash, else why not. */
function ownConfig(path: string, hash: string): unknown {
  if (!existsSync(path)) return { unknown: `no ${path}` };
  try {
    const config: unknown = YAML.parse(readFileSync(path, 'utf8'));
    return configHash(config) === hash ? config : { unknown: `${path} is not the config it ran with` };
  } catch (err) {
    return { unknown: `${path} cannot be read (${(err as Error).message.split('\n')[0]})` };
  }
}

/**
 * How a finished run's config differs from the one experiment.yaml gives it (`run.config`), or undefined when it
 * ran with that one (or has not finished: `run` reruns such a run, and it has no result to mix in).
 */
export function configDrift(
  expDir: string,
  run: Pick<RunSpec, 'runId' | 'config'>,
  record: RunRecord,
): Drift | undefined {
  if (record.status !== 'complete' && record.status !== 'diverged') return undefined;
  if (record.config_hash === configHash(run.config)) return undefined;
  const base = { runId: run.runId, status: record.status };
  const own = ownConfig(runPaths(expDir, run.runId).config, String(record.config_hash));
  if (isRecord(own) && typeof own.unknown === 'string') return { ...base, keys: [], unknown: own.unknown };
  // Keys added to the schema since the run was made take their defaults; a config today's schema refuses (a key
  // since removed) is compared as written.
  const resolved = runConfigSchema.safeParse(own);
  const keys = differences(resolved.success ? resolved.data : own, run.config);
  return keys.length > 0 ? { ...base, keys } : undefined;
}

/** `train.epochs=1 (experiment.yaml: 2), ...`, or why the keys are not known. */
export function describeDrift(d: Drift): string {
  if (d.unknown) return `config hash differs from experiment.yaml's (${d.unknown})`;
  return d.keys.map((k) => `${k.key}=${show(k.ran)} (experiment.yaml: ${show(k.expected)})`).join(', ');
}

/** One line per run of another config, at most LISTED of them, for messages and output. */
export function driftLines(drifts: readonly Drift[], indent = '  - '): string[] {
  const lines = drifts.slice(0, LISTED).map((d) => `${indent}${d.runId} (${d.status}): ${describeDrift(d)}`);
  if (drifts.length > LISTED) lines.push(`${indent}and ${drifts.length - LISTED} more`);
  return lines;
}

/** Refuses (exit 2) a folder with runs of another config, naming them and the keys, unless --allow-mixed. */
export function refuseMixed(dir: string, drifts: readonly Drift[], allowMixed: boolean): void {
  if (drifts.length === 0 || allowMixed) return;
  throw new UserError(
    [
      `${dir}: ${drifts.length} finished run(s) ran with another config than ${dir}/experiment.yaml, so one summary, verdict or report would mix two configurations:`,
      ...driftLines(drifts),
      'ln-repro run with the config and --set of experiment.yaml reruns exactly these; or give --allow-mixed to see them labelled.',
    ].join('\n'),
  );
}
