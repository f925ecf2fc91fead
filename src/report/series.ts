// What the report plots and tabulates, from an experiment's run folders: each run's metrics, then means over
// seeds (with min and max) of the runs that differ only in their seeds.
import { getAt, parsePath } from '../config/paths';
import type { RunConfig } from '../config/schema';
import { NORM_KINDS, NORMS, type NormKind } from '../norm/catalog';
import type { RunResult } from '../results/read';

/** Swept keys that only repeat a run (their spread is the band, not a separate line or panel). */
export const SEED_KEYS = ['train.seed', 'data.seed'];

/** Legend text of each norm, and one colour per norm in every figure (each norm's spec states them). */
export const NORM_LABELS = Object.fromEntries(NORM_KINDS.map((k) => [k, NORMS[k].label])) as Record<NormKind, string>;
export const NORM_COLORS = Object.fromEntries(NORM_KINDS.map((k) => [k, NORMS[k].colour])) as Record<NormKind, string>;
export const NORM_ORDER: readonly NormKind[] = NORM_KINDS;

export interface Band {
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

export function band(values: number[]): Band {
  return {
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    lo: Math.min(...values),
    hi: Math.max(...values),
    n: values.length,
  };
}

const normOf = (config: Readonly<RunConfig>): NormKind => config.model.norm;

/** `batchSize=4, cell=gru`: the values of `keys` in a run's config, by the last segment of each path. */
export function describeKeys(config: Readonly<RunConfig>, keys: readonly string[]): string {
  return keys
    .map((k) => `${k.split('.').pop()}=${JSON.stringify(getAt(config, parsePath(k)))}`.replace(/"/g, ''))
    .join(', ');
}

/** Swept keys that are neither a seed nor the norm (panels, or the x axis of a sweep plot). */
export function factorKeys(swept: readonly string[]): string[] {
  return swept.filter((k) => !SEED_KEYS.includes(k) && k !== 'model.norm');
}

export type Measure = string;

export interface CurvePoint {
  panel: string;
  norm: string;
  epoch: number;
  measure: string;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

/**
 * Whether the figures draw a run's rows: it has some, and it did not diverge (the last row of a diverged run is the
 * one that blew up, 1e21 nats: it would set the axes and the mean over seeds; the report lists it on its own).
 */
export const plotted = (run: RunResult): boolean => run.rows.length > 0 && run.status !== 'diverged';

/**
 * Per (panel, norm, epoch, measure): mean, min and max over the runs (seeds) that have that epoch, diverged runs left
 * out (`plotted`). `panel` describes the runs' values of `panelKeys` ('' for one panel).
 */
export function curvePoints(
  runs: readonly RunResult[],
  panelKeys: readonly string[],
  measures: readonly Measure[],
): CurvePoint[] {
  const groups = new Map<string, { panel: string; norm: string; epoch: number; measure: string; values: number[] }>();
  for (const run of runs.filter(plotted)) {
    const panel = describeKeys(run.config, panelKeys);
    const norm = normOf(run.config);
    for (const row of run.rows) {
      for (const m of measures) {
        const v = row[m];
        if (typeof v !== 'number' || !Number.isFinite(v)) continue;
        const key = JSON.stringify([panel, norm, row.epoch, m]);
        if (!groups.has(key))
          groups.set(key, { panel, norm: NORM_LABELS[norm], epoch: row.epoch, measure: String(m), values: [] });
        groups.get(key)!.values.push(v);
      }
    }
  }
  return [...groups.values()].map(({ values, ...g }) => ({ ...g, ...band(values) }));
}

export interface FinalPoint {
  /** The runs' values of the keys that are neither seeds nor the norm, e.g. `batchSize=4`. */
  group: string;
  norm: string;
  measure: string;
  mean: number;
  lo: number;
  hi: number;
  n: number;
  /** The x value of a sweep plot (the value of its key). */
  x?: number;
}

/** Final-epoch values of complete runs (so no diverged one), by (group, norm, measure, and the value of `xKey` as x when given). */
export function finalPoints(
  runs: readonly RunResult[],
  groupKeys: readonly string[],
  measures: readonly Measure[],
  xKey?: string,
): FinalPoint[] {
  const groups = new Map<string, Omit<FinalPoint, 'mean' | 'lo' | 'hi' | 'n'> & { values: number[] }>();
  for (const run of runs) {
    const last = run.status === 'complete' ? run.rows[run.rows.length - 1] : undefined;
    if (!last) continue;
    const group = describeKeys(run.config, groupKeys);
    const norm = normOf(run.config);
    const x = xKey === undefined ? undefined : (getAt(run.config, parsePath(xKey)) as number);
    for (const m of measures) {
      const v = last[m];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const key = JSON.stringify([group, norm, m, x]);
      if (!groups.has(key)) groups.set(key, { group, norm: NORM_LABELS[norm], measure: String(m), x, values: [] });
      groups.get(key)!.values.push(v);
    }
  }
  return [...groups.values()].map(({ values, ...g }) => ({ ...g, ...band(values) }));
}
