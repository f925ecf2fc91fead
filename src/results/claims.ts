// The paper's claims as data (a config's `expect:` list), checked against an experiment's results.
import { getAt, matches, parsePath } from '../config/paths';
import type { Claim } from '../config/schema';
import { fixed } from '../util/format';
import type { RunResult } from './read';

export type Verdict = 'PASS' | 'FAIL' | 'XFAIL' | 'XPASS' | 'MISSING';

export interface GroupStats {
  mean: number;
  /** Sample standard deviation over the group's runs (0 for one run). */
  std: number;
  n: number;
}

/** Where a claim's metric is read: `epoch 1`, `epoch last` or `update 500`. */
export const whenOf = (r: Pick<ClaimResult, 'epoch' | 'step'>): string =>
  r.step !== undefined ? `update ${r.step}` : `epoch ${r.epoch}`;

export interface ClaimResult {
  id: string;
  claim: string;
  paper: string;
  metric: Claim['metric'];
  epoch: Claim['epoch'];
  /** The update count compared instead of an epoch (a claim's step). */
  step?: number;
  kind: 'compare' | 'degradation' | 'spread';
  status: Claim['status'];
  reason?: string;
  verdict: Verdict;
  /** The two sides compared (`lhs relation rhs`, margin included in `holds`) and the group statistics behind them. */
  lhs?: number;
  rhs?: number;
  relation: '<' | '>';
  margin: number;
  groups: Record<string, GroupStats>;
  /** Why the claim could not be evaluated. */
  missing: string[];
  /** Runs of another config than experiment.yaml's whose metric entered the claim (check and report --allow-mixed). */
  otherConfig: string[];
}

type Selector = Record<string, unknown>;

const describe = (sel: Selector) =>
  Object.entries(sel)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');

export function stats(values: number[]): GroupStats {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** Evaluates one claim; the context collects group statistics and what is missing. */
class Evaluation {
  readonly groups: Record<string, GroupStats> = {};
  readonly missing: string[] = [];
  readonly otherConfig: string[] = [];
  constructor(
    private readonly claim: Claim,
    private readonly runs: readonly RunResult[],
  ) {}

  /** The claim's metric at its epoch in a complete run, or why there is none. */
  private metricOf(run: RunResult): number | string {
    if (run.status !== 'complete') return run.problem ? `corrupt (${run.problem})` : run.status;
    const { epoch, step, metric } = this.claim;
    if (step !== undefined && !run.rows.some((r) => r.step === step)) return `no row at update ${step}`;
    const row =
      step !== undefined
        ? run.rows.find((r) => r.step === step)
        : epoch === 'last'
          ? run.rows[run.rows.length - 1]
          : run.rows.find((r) => r.epoch === epoch);
    if (!row) return `no epoch ${epoch}`;
    const value: unknown = row[metric];
    if (typeof value === 'number') return value;
    // A column the task does not write is absent; an empty cell (test_error of a retrieval run) reads as ''.
    return `no ${metric} in its metrics.csv (${value === undefined ? 'no such column' : 'an empty cell'}: this run's task does not measure it)`;
  }

  /** Mean of the metric over the runs matching `sel` (over seeds and any other unselected key). */
  group(sel: Selector): number {
    const name = describe(sel);
    const runs = this.runs.filter((r) => matches(r.config, sel));
    if (runs.length === 0) this.missing.push(`no run has ${name}`);
    const values: number[] = [];
    for (const run of runs) {
      const v = this.metricOf(run);
      if (typeof v === 'string') this.missing.push(`${run.runId}: ${v}`);
      else values.push(v);
      if (typeof v === 'number' && run.drift && !this.otherConfig.includes(run.runId)) this.otherConfig.push(run.runId);
    }
    if (values.length === 0) return NaN;
    this.groups[name] = stats(values);
    return this.groups[name].mean;
  }

  /** Max minus min, over `values` of `key` (default: those the group's runs take), of the group mean at each. */
  spread(sel: Selector, key: string, listed?: readonly unknown[]): number {
    const taken = () => [
      ...new Map(
        this.runs
          .filter((r) => matches(r.config, sel))
          .map((r) => [JSON.stringify(getAt(r.config, parsePath(key))), getAt(r.config, parsePath(key))]),
      ).values(),
    ];
    const values = listed ?? taken();
    if (values.length < 2)
      this.missing.push(`${describe(sel)}: ${key} takes ${values.length} value(s), a spread needs 2`);
    const means = values.map((v) => this.group({ ...sel, [key]: v }));
    return Math.max(...means) - Math.min(...means);
  }
}

function holds(lhs: number, relation: '<' | '>', rhs: number, margin: number): boolean {
  return relation === '<' ? lhs + margin < rhs : lhs > rhs + margin;
}

/** The two sides of a claim: group means (compare), changes of group means (degradation) or spreads. */
function sides(claim: Claim, e: Evaluation): { kind: ClaimResult['kind']; lhs: number; rhs: number } {
  if (claim.compare) return { kind: 'compare', lhs: e.group(claim.compare.a), rhs: e.group(claim.compare.b) };
  if (claim.degradation) {
    const d = claim.degradation;
    const change = (g: Selector) => e.group({ ...g, [d.key]: d.to }) - e.group({ ...g, [d.key]: d.from });
    return { kind: 'degradation', lhs: change(d.a), rhs: change(d.b) };
  }
  const s = claim.spread!; // the schema requires exactly one of compare, degradation, spread
  const lhs = e.spread(s.a, s.key, s.values);
  return { kind: 'spread', lhs, rhs: s.b ? e.spread(s.b, s.key, s.values) : s.bound! };
}

export function evaluateClaim(claim: Claim, runs: readonly RunResult[]): ClaimResult {
  const e = new Evaluation(claim, runs);
  const { kind, lhs, rhs } = sides(claim, e);
  const spec = claim.compare ?? claim.degradation ?? claim.spread!;
  const ok = holds(lhs, spec.relation, rhs, spec.margin);
  const expected = claim.status === 'expected';
  const verdict: Verdict =
    e.missing.length > 0 ? 'MISSING' : ok ? (expected ? 'PASS' : 'XPASS') : expected ? 'FAIL' : 'XFAIL';
  return {
    id: claim.id,
    claim: claim.claim,
    paper: claim.paper,
    metric: claim.metric,
    epoch: claim.epoch,
    step: claim.step,
    kind,
    status: claim.status,
    reason: claim.reason,
    verdict,
    lhs: Number.isFinite(lhs) ? lhs : undefined,
    rhs: Number.isFinite(rhs) ? rhs : undefined,
    relation: spec.relation,
    margin: spec.margin,
    groups: e.groups,
    missing: e.missing,
    otherConfig: e.otherConfig,
  };
}

/** 2 when a claim could not be evaluated (runs missing), 1 when one fails or unexpectedly passes, else 0. */
export function checkExitCode(results: readonly ClaimResult[]): number {
  if (results.some((r) => r.verdict === 'MISSING')) return 2;
  return results.some((r) => r.verdict === 'FAIL' || r.verdict === 'XPASS') ? 1 : 0;
}

/** What each side of a claim of this kind is: a group mean, a change of group means, or a spread. */
export const sideName = (kind: ClaimResult['kind']): string =>
  kind === 'spread' ? 'spread' : kind === 'degradation' ? 'change' : 'mean';

/** How the claim's margin reads: by more than m, or (negative) within a tolerance. */
function marginText(r: ClaimResult): string {
  if (r.margin === 0) return '';
  if (r.margin > 0) return ` by more than ${r.margin}`;
  const m = -r.margin;
  return r.relation === '<'
    ? ` + ${m} (a may exceed b by less than ${m})`
    : ` - ${m} (a may fall below b by less than ${m})`;
}

export function formatClaim(r: ClaimResult): string[] {
  const side = sideName(r.kind);
  const lines = [
    `${r.verdict.padEnd(7)} ${r.id} (${r.paper}; ${r.metric} at ${whenOf(r)}): ${r.claim}`,
    `        ${side} a ${fixed(r.lhs)}, ${side} b ${fixed(r.rhs)}; claimed a ${r.relation} b${marginText(r)}`,
    ...Object.entries(r.groups).map(([g, s]) => `        ${g}: ${s.mean.toFixed(4)} ± ${s.std.toFixed(4)} (n=${s.n})`),
  ];
  if (r.status === 'known-deviation') lines.push(`        known deviation: ${r.reason}`);
  for (const m of r.missing) lines.push(`        missing: ${m}`);
  if (r.otherConfig.length > 0)
    lines.push(`        other config: ${r.otherConfig.join(', ')} (another config than experiment.yaml)`);
  return lines;
}
