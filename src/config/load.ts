// Loads an experiment: YAML file -> --set overrides -> validated, frozen run configs, one per sweep point.
import { readRegularFile } from '../util/fs';
import { isRecord } from '../util/values';
import YAML from 'yaml';
import { z } from 'zod';
import { UserError } from '../errors';
import { formatPath, parsePath, sameValue, schemaAt, setAt, unwrap, type Path } from './paths';
import { describeError, show } from './zod-messages';
import {
  claimSchema,
  excludeSchema,
  experimentSchema,
  runConfigSchema,
  sweepSchema,
  type Claim,
  type Exclusion,
  type Sweep,
} from './schema';
import { taskOf } from '../tasks/catalog';
import { deepFreeze, runIdOf, sweepCombinations, type RunSpec } from './sweep';
import { checkClaimBeforeRuns, checkClaimsBeforeRuns, type ClaimContext } from './claim-checks';

export interface Experiment {
  readonly file: string;
  readonly name: string;
  /** The experiment as given (after --set), with its sweep: what `experiment.yaml` records. */
  readonly source: Readonly<Record<string, unknown>>;
  readonly sweep: Readonly<Sweep>;
  /** Sweep points left out (partial assignments of swept keys); `runs` holds the others. */
  readonly exclude: readonly Exclusion[];
  readonly runs: readonly RunSpec[];
  readonly claims: readonly Claim[];
}

function fail(file: string, lines: string[]): never {
  const unique = [...new Set(lines)];
  throw new UserError(
    unique.length === 1
      ? `${file}: ${unique[0]}`
      : `${file}: invalid config:\n${unique.map((l) => `  - ${l}`).join('\n')}`,
  );
}

/**
 * The experiments of a YAML file: one mapping, or several YAML documents separated by `---` lines (one
 * experiment each, e.g. the MLP and LSTM halves of an ablation). Documents holding only comments are skipped.
 */
function parseYamlDocuments(file: string, text: string): Record<string, unknown>[] {
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: Record<string, unknown>[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const pos = e.linePos?.[0];
      throw new UserError(
        `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: YAML syntax error: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      );
    }
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (err) {
      // e.g. "Excessive alias count": a YAML alias bomb (the yaml package stops at 100 alias expansions).
      throw new UserError(`${file}: cannot read this YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    if (value === null && list.length > 1) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UserError(`${file}: expected a YAML mapping with keys name, data, model, train, found ${show(value)}`);
    }
    out.push(value as Record<string, unknown>);
  }
  if (out.length === 0)
    throw new UserError(`${file}: expected a YAML mapping with keys name, data, model, train, found no document`);
  return out;
}

/** A file holding exactly one experiment (a run folder's experiment.yaml). */
export function parseYaml(file: string, text: string): Record<string, unknown> {
  const docs = parseYamlDocuments(file, text);
  if (docs.length > 1) throw new UserError(`${file}: expected one experiment, found ${docs.length} YAML documents`);
  return docs[0];
}

function checkPath(file: string, what: string, path: Path, schema: z.ZodTypeAny): z.ZodTypeAny {
  const found = schemaAt(schema, path);
  if (found.ok) return found.schema;
  const at = formatPath([...found.at, found.key]);
  const hint = found.suggestion ? ` (did you mean "${formatPath([...found.at, found.suggestion])}"?)` : '';
  throw new UserError(`${file}: ${what}: unknown config key "${at}"${hint}`);
}

/** `train.epochs=1` -> path and value parsed as YAML, kept as text where the key takes text. */
function parseOverride(file: string, assignment: string): { path: Path; value: unknown } {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UserError(`${file}: --set ${assignment}: expected path=value, e.g. --set train.epochs=1`);
  const dotted = assignment.slice(0, eq).trim();
  const text = assignment.slice(eq + 1);
  let path: Path;
  try {
    path = parsePath(dotted);
  } catch {
    throw new UserError(`${file}: --set ${assignment}: malformed path "${dotted}"`);
  }
  if (path[0] === 'sweep' && path.length > 1) {
    // A sweep is keyed by whole dotted paths: `sweep.train.seed` sets the entry "train.seed".
    checkPath(file, `--set ${assignment}`, path.slice(1), runConfigSchema);
    path = ['sweep', formatPath(path.slice(1))];
  }
  const target = unwrap(checkPath(file, `--set ${assignment}`, path, experimentSchema));
  const takesText =
    target instanceof z.ZodString ||
    target instanceof z.ZodEnum ||
    (target instanceof z.ZodLiteral && typeof target.value === 'string');
  if (takesText) return { path, value: text };
  try {
    return { path, value: YAML.parse(text) };
  } catch {
    throw new UserError(`${file}: --set ${assignment}: the value "${text}" is not valid YAML`);
  }
}

/**
 * Applies --set overrides. One that names a swept key narrows that key's sweep to the one value, so the run
 * keeps the id (and folder) it has in the full sweep.
 */
function applyOverrides(file: string, raw: Record<string, unknown>, sets: readonly string[]): Record<string, unknown> {
  let out = raw;
  for (const assignment of sets) {
    const { path, value } = parseOverride(file, assignment);
    const dotted = formatPath(path);
    const sweep = out.sweep;
    const swept = path[0] !== 'sweep' && typeof sweep === 'object' && sweep !== null && dotted in sweep;
    out = (swept ? setAt(out, ['sweep', dotted], [value]) : setAt(out, path, value)) as Record<string, unknown>;
  }
  return out;
}

function checkSweep(file: string, raw: unknown): Sweep {
  if (raw === undefined || raw === null) return {};
  const parsed = sweepSchema.safeParse(raw);
  if (!parsed.success)
    fail(
      file,
      describeError(parsed.error, { sweep: raw }, z.object({ sweep: sweepSchema })).map((l) => `sweep.${l}`),
    );
  for (const key of Object.keys(parsed.data)) {
    let path: Path;
    try {
      path = parsePath(key);
    } catch {
      throw new UserError(`${file}: sweep: malformed path "${key}"`);
    }
    if (path[0] === 'name' || path[0] === 'sweep') throw new UserError(`${file}: sweep: "${key}" cannot be swept`);
    checkPath(file, 'sweep', path, runConfigSchema);
    const values = parsed.data[key];
    const seen = new Set(values.map((v) => JSON.stringify(v)));
    if (seen.size !== values.length)
      throw new UserError(`${file}: sweep.${key}: a value is listed twice in ${show(values)}`);
  }
  return parsed.data;
}

/** The exclude list: each entry a non-empty map of swept keys to values each key can take (typos are errors). */
function checkExclude(file: string, raw: unknown, sweep: Sweep): Exclusion[] {
  if (raw === undefined || raw === null) return [];
  const schema = z.object({ exclude: excludeSchema });
  const parsed = schema.safeParse({ exclude: raw });
  if (!parsed.success) fail(file, describeError(parsed.error, { exclude: raw }, schema));
  parsed.data.exclude.forEach((entry, i) => {
    const keys = Object.keys(entry);
    if (keys.length === 0)
      throw new UserError(`${file}: exclude[${i}]: an empty entry would exclude every run; name swept keys and values`);
    for (const key of keys) {
      if (!(key in sweep)) {
        const swept = Object.keys(sweep);
        throw new UserError(
          `${file}: exclude[${i}].${key}: not a swept key (exclude removes sweep points; swept keys: ${swept.length ? swept.join(', ') : 'none'})`,
        );
      }
      const target = schemaAt(runConfigSchema, parsePath(key));
      const value = target.ok ? target.schema.safeParse(entry[key]) : undefined;
      if (value && !value.success)
        fail(
          file,
          describeError(value.error, entry[key], target.ok ? target.schema : z.never()).map(
            (l) => `exclude[${i}].${key}${l.replace(/^\(top level\)/, '')}`,
          ),
        );
    }
  });
  return parsed.data.exclude;
}

/** True when a sweep point has every value of some exclude entry. */
function excluded(point: Record<string, unknown>, exclude: readonly Exclusion[]): boolean {
  return exclude.some((entry) => Object.entries(entry).every(([key, value]) => sameValue(point[key], value)));
}

function checkClaims(file: string, raw: unknown): Claim[] {
  if (raw === undefined || raw === null) return [];
  const schema = z.object({ expect: z.array(claimSchema) });
  const parsed = schema.safeParse({ expect: raw });
  if (!parsed.success) fail(file, describeError(parsed.error, { expect: raw }, schema));
  const claims = parsed.data.expect;
  claims.forEach((c, i) => checkClaimPaths(file, c, i));
  const ids = claims.map((c) => c.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new UserError(`${file}: expect: two claims share the id "${dup}"`);
  return claims;
}

/** The keys the `i`-th claim names are config keys. */
function checkClaimPaths(file: string, c: Claim, i: number): void {
  const spec = c.compare ?? c.degradation ?? c.spread!;
  const paths = [
    ...Object.keys(spec.a),
    ...Object.keys(('b' in spec && spec.b) || {}),
    ...('key' in spec ? [spec.key] : []),
  ];
  for (const p of paths) checkPath(file, `expect[${i}] (${c.id})`, parsePath(p), runConfigSchema);
}

/**
 * A claim compares a column the experiment's task measures and lets claims use (its spec's `claimable`), not one of
 * another task's (retrieval has no test_error), so that a mistake is found here, not as MISSING after training.
 */
function checkClaimMetric(file: string, c: Claim, i: number, runs: readonly RunSpec[]): void {
  const tasks = [...new Set(runs.map((r) => taskOf(r.config)))];
  const allowed = [...new Set(tasks.flatMap((t) => t.claimable))];
  if (allowed.includes(c.metric)) return;
  const names = tasks.map((t) => t.name).join(' and ');
  throw new UserError(
    `${file}: expect[${i}] (${c.id}).metric: ${c.metric} is not measured by the ${names} task of this experiment's runs; claims may compare ${allowed.join(', ')}`,
  );
}

/** Every claim of `raw` (an expect list), or a UserError for the first refused (all schema errors at once). */
function claimsChecked(ctx: ClaimContext, raw: unknown): Claim[] {
  const claims = checkClaims(ctx.file, raw);
  claims.forEach((c, i) => checkClaimMetric(ctx.file, c, i, ctx.runs));
  checkClaimsBeforeRuns(ctx, claims);
  return claims;
}

/** The `i`-th claim of `raw` (an expect list), checked as checkClaims, checkClaimMetric and the claim checks do. */
function checkOneClaim(ctx: ClaimContext, raw: unknown, i: number, before: readonly Claim[]): Claim {
  const parsed = claimSchema.safeParse(raw);
  if (!parsed.success)
    fail(
      ctx.file,
      describeError(parsed.error, raw, claimSchema).map((l) =>
        l.startsWith('(top level)') ? `expect[${i}]${l.slice('(top level)'.length)}` : `expect[${i}].${l}`,
      ),
    );
  const claim = parsed.data;
  if (before.some((c) => c.id === claim.id))
    throw new UserError(`${ctx.file}: expect: two claims share the id "${claim.id}"`);
  checkClaimPaths(ctx.file, claim, i);
  checkClaimMetric(ctx.file, claim, i, ctx.runs);
  checkClaimBeforeRuns(ctx, claim, i);
  return claim;
}

/**
 * The claims of an experiment whose claims a command reads but does not judge (summary, report): each claim that
 * would be refused goes to `refused` with the UserError's message, and is left out.
 */
function claimsKept(ctx: ClaimContext, raw: unknown, refused: (message: string) => void): Claim[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    refused(`${ctx.file}: expect: expected a list of claims, found ${show(raw)}`);
    return [];
  }
  const kept: Claim[] = [];
  raw.forEach((item: unknown, i) => {
    try {
      kept.push(checkOneClaim(ctx, item, i, kept));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      refused(err.message);
    }
  });
  return kept;
}

/**
 * Validates every sweep point but the excluded ones (which keep no run; the others keep their ids); errors at
 * a swept path name the sweep entry that caused them.
 */
function resolveRuns(
  file: string,
  base: Record<string, unknown>,
  sweep: Sweep,
  exclude: readonly Exclusion[],
): RunSpec[] {
  const runs: RunSpec[] = [];
  const errors: string[] = [];
  const points = sweepCombinations(sweep).filter((point) => !excluded(point, exclude));
  if (points.length === 0)
    throw new UserError(`${file}: exclude: every point of the sweep is excluded; nothing would run`);
  for (const swept of points) {
    let raw: unknown = base;
    for (const [key, value] of Object.entries(swept)) raw = setAt(raw, parsePath(key), value);
    const parsed = runConfigSchema.safeParse(raw);
    if (parsed.success) {
      runs.push({ runId: runIdOf(swept), swept, config: deepFreeze(parsed.data) });
      continue;
    }
    for (const line of describeError(parsed.error, raw, runConfigSchema)) {
      const key = Object.keys(swept).find((k) => line.startsWith(`${k}:`) || line.startsWith(`${k}[`));
      errors.push(key ? `sweep.${key} value ${show(swept[key])}: ${line.slice(key.length + 1).trim()}` : line);
    }
  }
  if (errors.length > 0) fail(file, errors);
  const ids = runs.map((r) => r.runId);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new UserError(`${file}: sweep: two runs would share the id "${dup}"; make the swept values distinct`);
  return runs;
}

/**
 * Every experiment of a config file, all validated before any is returned. `sets` apply to each; messages about
 * the k-th of several experiments name it as `<file> (experiment k: <name>)`.
 */
export function loadExperiments(opts: { file: string; sets?: readonly string[] }): Experiment[] {
  const { file } = opts;
  const text = readRegularFile(file); // looked at before opening: a FIFO would wait for a writer forever
  if (typeof text !== 'string')
    throw new UserError(`${file}: cannot read config (${text === undefined ? 'no such file (ENOENT)' : text.problem})`);
  const docs = parseYamlDocuments(file, text);
  const experiments = docs.map((doc, i) => {
    const label =
      docs.length === 1 ? file : `${file} (experiment ${i + 1}${typeof doc.name === 'string' ? `: ${doc.name}` : ''})`;
    const source = applyOverrides(label, doc, opts.sets ?? []);
    return resolveExperiment(label, source, { selectRuns: true, narrowed: sweepChanges(doc.sweep, source.sweep) });
  });
  const names = experiments.map((e) => e.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UserError(`${file}: two experiments share the name "${dup}" (each writes to <out>/<name>/)`);
  return experiments;
}

/** The experiment of a file that holds one. */
export function loadExperiment(opts: { file: string; sets?: readonly string[] }): Experiment {
  const all = loadExperiments(opts);
  if (all.length > 1) throw new UserError(`${opts.file}: expected one experiment, found ${all.length}`);
  return all[0];
}

/**
 * The swept keys whose values `--set` changed (narrowed to one value, or replaced), with the values the file
 * listed: a claim may still name those (src/config/claim-checks.ts).
 */
function sweepChanges(before: unknown, after: unknown): Record<string, unknown[]> {
  if (!isRecord(before)) return {};
  const changed = Object.entries(before).filter(
    ([key, values]) => Array.isArray(values) && !(isRecord(after) && sameValue(after[key], values)),
  );
  return Object.fromEntries(changed) as Record<string, unknown[]>;
}

/** How an experiment's claims are checked against its runs (ClaimContext), and what a refused claim does. */
export type ClaimChecks = Omit<ClaimContext, 'file' | 'sweep' | 'runs'> & {
  /**
   * Given, a claim that would be refused is passed here (the UserError's message) and left out of `claims`, for a
   * command that reads the folder but does not judge its claims; else it refuses the experiment.
   */
  refused?: (message: string) => void;
};

/**
 * Validates an experiment given as an object (`file` names where it came from, for messages). `claimChecks` says
 * how its claims are checked against its runs: by default as a config file's, whose groups must select runs.
 */
export function resolveExperiment(
  file: string,
  source: Record<string, unknown>,
  claimChecks: ClaimChecks = { selectRuns: true },
): Experiment {
  const sweep = checkSweep(file, source.sweep);
  const exclude = checkExclude(file, source.exclude, sweep);
  const { sweep: _sweep, exclude: _exclude, expect: _expect, ...base } = source;
  const runs = resolveRuns(file, base, sweep, exclude);
  const { refused, ...checks } = claimChecks;
  const ctx: ClaimContext = { file, sweep, runs, ...checks };
  const claims = refused ? claimsKept(ctx, source.expect, refused) : claimsChecked(ctx, source.expect);
  return deepFreeze({ file, name: runs[0].config.name, source, sweep, exclude, runs, claims });
}
