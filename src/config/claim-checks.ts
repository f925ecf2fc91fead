// The checks of an experiment's claims that need no results, made when it loads (before any run trains, and again
// when summary, check and report read a folder's experiment.yaml): each group names values of the right type that
// the runs take, the varied key is swept, the epoch exists, and no claim is true or false by construction.
import type { z } from 'zod';
import { UserError } from '../errors';
import { MODELS, type ModelKind } from '../models/catalog';
import { runConfigObject } from '../tasks/schema';
import { stepsPerEpoch } from '../train/batches';
import { rowAfter } from '../train/rows';
import { getAt, matches, parsePath, sameValue, schemaAt, suggestKey } from './paths';
import type { Claim, Sweep } from './schema';
import type { RunSpec } from './sweep';
import { describeError, show } from './zod-messages';

type Selector = Record<string, unknown>;

export interface ClaimContext {
  /** Where the experiment came from, for messages. */
  file: string;
  sweep: Sweep;
  runs: readonly RunSpec[];
  /**
   * Whether each group must select runs of this experiment. True for a config file, where `narrowed` names the
   * swept keys a --set narrowed or replaced, with the values the file listed (a claim may still name those: one
   * sweep point can be run alone). False for a folder's experiment.yaml, which may hold such a narrowed sweep.
   */
  selectRuns: boolean;
  narrowed?: Readonly<Record<string, readonly unknown[]>>;
}

/** A group of one claim: its selector and the dotted path of the claim's field it comes from, for messages. */
interface Group {
  at: string;
  sel: Selector;
}

const fail = (c: ClaimContext, at: string, message: string): never => {
  throw new UserError(`${c.file}: ${at}: ${message}`);
};

/** The same selector whatever order its keys are written in. */
const sameSelector = (a: Selector, b: Selector) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => k in b && sameValue(v, b[k]));

/** The distinct values `key` takes over the runs and its sweep (and those a --set narrowed the sweep away from). */
function taken(c: ClaimContext, key: string): unknown[] {
  const values = [
    ...c.runs.map((r) => getAt(r.config, parsePath(key))),
    ...(c.sweep[key] ?? []),
    ...(c.narrowed?.[key] ?? []),
  ];
  return values.filter((v, i) => v !== undefined && values.findIndex((w) => sameValue(v, w)) === i);
}

/** The schema of `key` in a config of model kind `kind`, or undefined when that kind has no such key. */
function keySchema(kind: ModelKind, key: string): z.ZodTypeAny | undefined {
  const path = parsePath(key);
  const found = path[0] === 'model' ? schemaAt(MODELS[kind].schema, path.slice(1)) : schemaAt(runConfigObject, path);
  return found.ok ? found.schema : undefined;
}

/** A value `key` can hold in some run's config (its type, its range, its names), else a UserError at `at`. */
function checkType(c: ClaimContext, at: string, key: string, value: unknown): void {
  const kinds = [...new Set(c.runs.map((r) => r.config.model.kind))];
  const schemas = kinds.map((k) => keySchema(k, key)).filter((s) => s !== undefined);
  if (schemas.length === 0)
    fail(c, at, `no run of this experiment has ${key} (model.kind ${kinds.join(', ')} has no such key)`);
  const parsed = schemas.map((s) => ({ schema: s, result: s.safeParse(value) }));
  if (parsed.some((p) => p.result.success)) return;
  const { schema, result } = parsed[0];
  if (result.success) return;
  // `train.seed: "1"`: a number in quotes is text, which no run's number equals.
  const quoted = typeof value === 'string' && value.trim() !== '' && schema.safeParse(Number(value)).success;
  const hint = quoted ? ` (a number: write ${value} without quotes)` : '';
  const lines = describeError(result.error, value, schema).map((l) => l.replace(/^\(top level\): /, ''));
  fail(c, at, `${lines.join('; ')}${hint}`);
}

/** A value some run takes at `key` (where groups must select runs), with the values they take and a near miss. */
function checkTaken(c: ClaimContext, at: string, key: string, value: unknown): void {
  if (!c.selectRuns) return;
  const values = taken(c, key);
  if (values.some((v) => sameValue(v, value))) return;
  const names = values.filter((v): v is string => typeof v === 'string');
  const near = typeof value === 'string' ? suggestKey(value, names) : undefined;
  const list = values.length > 0 ? `its runs take ${values.map(show).join(', ')}` : 'no run sets it';
  fail(c, at, `no run has ${show(value)}; ${list}${near ? ` (did you mean "${near}"?)` : ''}`);
}

/** Each value of the group is one its key can hold and (for a config file) one the runs take. */
function checkValues(c: ClaimContext, g: Group): void {
  for (const [key, value] of Object.entries(g.sel)) {
    checkType(c, `${g.at}.${key}`, key, value);
    checkTaken(c, `${g.at}.${key}`, key, value);
  }
}

/**
 * The group selects a run (the exclude list did not take all of them away); not checked where a --set narrowed the
 * sweep (the runs of a group may then all be left out, with the exclude list's help or without).
 */
function checkSelects(c: ClaimContext, g: Group): void {
  if (!runsKnown(c)) return;
  if (c.runs.some((r) => matches(r.config, g.sel))) return;
  const text = Object.entries(g.sel)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(', ');
  fail(c, g.at, `no run has ${text} together (the sweep's exclude list leaves none)`);
}

/** A claim's epoch exists in every run its groups select. */
function checkEpoch(c: ClaimContext, where: string, claim: Claim, groups: readonly Group[]): void {
  const { epoch } = claim;
  if (epoch === 'last') return;
  const short = c.runs.find((r) => groups.some((g) => matches(r.config, g.sel)) && r.config.train.epochs < epoch);
  if (short)
    fail(
      c,
      `${where}.epoch`,
      `epoch ${epoch} is past train.epochs (${short.config.train.epochs}) of run ${short.runId}; give an epoch from 1 to ${short.config.train.epochs}, or last`,
    );
}

/**
 * A claim's update count is a row of every run its groups select: an epoch's end or a row train.evalEvery or
 * evalsPerEpoch asks for (src/train/rows.ts), within its updates.
 */
function checkStep(c: ClaimContext, where: string, claim: Claim, groups: readonly Group[]): void {
  const { step } = claim;
  if (step === undefined) return;
  for (const run of c.runs.filter((r) => groups.some((g) => matches(r.config, g.sel)))) {
    const { train, data } = run.config;
    const perEpoch = stepsPerEpoch(data.train, train.batchSize);
    const last = perEpoch * train.epochs;
    if (step <= last && rowAfter(train, step, ((step - 1) % perEpoch) + 1, perEpoch)) continue;
    const between = train.evalEvery !== undefined || train.evalsPerEpoch !== undefined;
    const rows = `each epoch's end (every ${perEpoch} updates)${between ? ' and where train.evalEvery or evalsPerEpoch asks' : ''}`;
    fail(
      c,
      `${where}.step`,
      `run ${run.runId} writes no metrics row at update ${step}: it writes one at ${rows}, up to update ${last}`,
    );
  }
}

/** The key a degradation or spread varies: swept, and not also fixed by one of its groups. */
function checkVariedKey(c: ClaimContext, at: string, key: string, groups: readonly Group[]): void {
  if (!(key in c.sweep)) {
    const swept = Object.keys(c.sweep);
    fail(c, `${at}.key`, `${key} is not swept (swept keys: ${swept.length ? swept.join(', ') : 'none'})`);
  }
  const fixing = groups.find((g) => key in g.sel);
  if (fixing) fail(c, fixing.at, `selects ${key}, the key the claim varies; leave it out of the group`);
}

/**
 * Whether `runs` are all the runs of the experiment, so that a group's runs are known: not where a --set narrowed
 * the sweep (two groups may then select the same of the runs left and different runs of the file's sweep).
 */
const runsKnown = (c: ClaimContext) => c.selectRuns && Object.keys(c.narrowed ?? {}).length === 0;

/**
 * Two groups that select the same runs make a claim true or false by construction: the same selector, or
 * selectors written differently that the runs do not tell apart ({model.norm: layer} and {model.norm: layer,
 * data.seed: 0} where every run has data.seed 0). A degradation's from and to groups never select the same runs:
 * from and to differ, and the groups may not name the key.
 */
function checkDistinct(c: ClaimContext, at: string, a: Selector, b: Selector | undefined): void {
  if (!b) return;
  if (sameSelector(a, b))
    fail(c, at, 'a and b are the same selector: both sides would be the same runs; make the groups differ');
  if (!runsKnown(c)) return;
  const ids = (sel: Selector) => c.runs.filter((r) => matches(r.config, sel)).map((r) => r.runId);
  const [ia, ib] = [ids(a), ids(b)];
  // A group without runs is refused by checkSelects, with the reason.
  if (ia.length === 0 || ia.length !== ib.length || !ia.every((id) => ib.includes(id))) return;
  const listed = ia.length > 4 ? `${ia.slice(0, 4).join(', ')} and ${ia.length - 4} more` : ia.join(', ');
  fail(
    c,
    at,
    `a and b select the same runs (${listed}): both sides would be the same results; make the groups differ in a key whose value the runs vary`,
  );
}

/** compare: two non-empty, different groups. */
function checkCompare(c: ClaimContext, where: string, spec: NonNullable<Claim['compare']>): Group[] {
  const groups = [
    { at: `${where}.compare.a`, sel: spec.a },
    { at: `${where}.compare.b`, sel: spec.b },
  ];
  for (const g of groups)
    if (Object.keys(g.sel).length === 0)
      fail(c, g.at, 'an empty selector would compare every run; name the keys and values of the group');
  checkDistinct(c, `${where}.compare`, spec.a, spec.b);
  for (const g of groups) checkValues(c, g);
  return groups;
}

/** degradation: a swept key, two different values of it, two different groups. */
function checkDegradation(c: ClaimContext, where: string, spec: NonNullable<Claim['degradation']>): Group[] {
  const at = `${where}.degradation`;
  const groups = [
    { at: `${at}.a`, sel: spec.a },
    { at: `${at}.b`, sel: spec.b },
  ];
  checkVariedKey(c, at, spec.key, groups);
  if (sameValue(spec.from, spec.to))
    fail(c, at, `from and to are the same value (${show(spec.from)}): the change would be 0 by construction`);
  checkDistinct(c, at, spec.a, spec.b);
  for (const end of ['from', 'to'] as const) {
    checkType(c, `${at}.${end}`, spec.key, spec[end]);
    checkTaken(c, `${at}.${end}`, spec.key, spec[end]);
  }
  for (const g of groups) checkValues(c, g);
  return groups.flatMap((g) => [spec.from, spec.to].map((v) => ({ at: g.at, sel: { ...g.sel, [spec.key]: v } })));
}

/** spread: a swept key over at least 2 distinct values (those listed, or those the runs take). */
function checkSpread(c: ClaimContext, where: string, spec: NonNullable<Claim['spread']>): Group[] {
  const at = `${where}.spread`;
  const groups = [{ at: `${at}.a`, sel: spec.a }, ...(spec.b ? [{ at: `${at}.b`, sel: spec.b }] : [])];
  checkVariedKey(c, at, spec.key, groups);
  checkDistinct(c, at, spec.a, spec.b);
  const distinct = (vs: readonly unknown[]) => vs.filter((v, i) => vs.findIndex((w) => sameValue(v, w)) === i);
  if (spec.values) {
    if (distinct(spec.values).length < 2)
      fail(c, `${at}.values`, `${show(spec.values)} holds 1 distinct value; a spread needs at least 2 distinct values`);
    spec.values.forEach((v, i) => {
      checkType(c, `${at}.values[${i}]`, spec.key, v);
      checkTaken(c, `${at}.values[${i}]`, spec.key, v);
    });
  }
  // Where groups need not select runs (a folder's experiment.yaml), the values the runs take are not checked.
  const values = spec.values ?? (c.selectRuns ? taken(c, spec.key) : undefined);
  if (values && values.length < 2) {
    const what = `${values.length} value(s) (${values.map(show).join(', ')})`;
    fail(c, `${at}.key`, `${spec.key} takes ${what}; a spread needs at least 2 distinct values`);
  }
  for (const g of groups) checkValues(c, g);
  if (!values) return groups;
  return groups.flatMap((g) => values.map((v) => ({ at: g.at, sel: { ...g.sel, [spec.key]: v } })));
}

/**
 * Every claim, against the experiment it belongs to: refused (UserError naming the file, the claim and the key)
 * when it could never be evaluated, or would hold or fail whatever the results.
 */
export function checkClaimsBeforeRuns(c: ClaimContext, claims: readonly Claim[]): void {
  claims.forEach((claim, i) => checkClaimBeforeRuns(c, claim, i));
}

/** One claim, the `i`-th of the experiment's list (for messages), as checkClaimsBeforeRuns checks each. */
export function checkClaimBeforeRuns(c: ClaimContext, claim: Claim, i: number): void {
  const where = `expect[${i}] (${claim.id})`;
  const groups = claim.compare
    ? checkCompare(c, where, claim.compare)
    : claim.degradation
      ? checkDegradation(c, where, claim.degradation)
      : checkSpread(c, where, claim.spread!); // the schema requires exactly one of the three
  for (const g of groups) checkSelects(c, g);
  checkEpoch(c, where, claim, groups);
  checkStep(c, where, claim, groups);
}
