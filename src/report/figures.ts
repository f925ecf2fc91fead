// The report's figures as vega-lite specs (pure data: rendered by render.ts): learning curves like the paper's
// Figure 6, final metrics against a swept number, and a task's bars of final metrics (retrieval recall@K per
// model). Every figure colours a norm the same way (NORM_COLORS) and labels its axes with units.
import type { BarChart, MeasureAxis } from '../tasks/spec';
import type { CurvePoint, FinalPoint } from './series';
import { NORM_COLORS, NORM_LABELS, NORM_ORDER } from './series';

/** A vega-lite spec (kept loose: the vega-lite compiler validates it). */
export type Spec = Record<string, unknown>;

const FONT = 'DejaVu Sans';
const WIDTH = 240;
const HEIGHT = 170;

/** The colour channel: a norm's legend label and colour are the same in every figure. */
function normColor(present: readonly string[]): Spec {
  const kinds = NORM_ORDER.filter((k) => present.includes(NORM_LABELS[k]));
  return {
    field: 'norm',
    type: 'nominal',
    title: 'normalization',
    sort: kinds.map((k) => NORM_LABELS[k]),
    scale: { domain: kinds.map((k) => NORM_LABELS[k]), range: kinds.map((k) => NORM_COLORS[k]) },
  };
}

const CONFIG = {
  font: FONT,
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
};

/** Line figures: the legend shows each norm's line, not its faint band. */
const LINE_CONFIG = {
  ...CONFIG,
  legend: { ...CONFIG.legend, symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 },
};

const unique = <T>(xs: readonly T[]) => [...new Set(xs)];

export function figure(title: string, subtitle: string | string[], body: Spec): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle, anchor: 'start' },
    background: 'white',
    padding: 12,
    config: CONFIG,
    ...body,
  };
}

/** Facets `spec` into columns by `panel` when there is more than one panel. */
function maybeFacet(values: readonly { panel: string }[], spec: Spec, row = false): Spec {
  const panels = unique(values.map((v) => v.panel));
  if (panels.length <= 1) return { data: { values }, ...spec };
  // Panel labels read `batchSize=4`: they name their key, so the header needs no title.
  return {
    data: { values },
    facet: { [row ? 'row' : 'column']: { field: 'panel', type: 'nominal', title: null, sort: panels } },
    spec,
  };
}

/** Whole epochs to tick: every one up to 12 epochs, else about 10 evenly spaced. */
function epochTicks(epochs: number[]): number[] {
  const last = Math.max(...epochs);
  const step = last <= 12 ? 1 : Math.ceil(last / 10);
  const ticks = [];
  for (let e = 1; e <= last; e += step) ticks.push(e);
  return ticks;
}

/** A line per norm (mean, with points) over its min-max band, on x: the body of every line figure. */
function bandAndLine(x: Spec, scale: Spec, title: string, color: Spec, pointSize: number): Spec {
  return {
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        mark: { type: 'area', opacity: 0.18 },
        encoding: { x, y: { field: 'lo', type: 'quantitative', scale, title }, y2: { field: 'hi' }, color },
      },
      {
        mark: { type: 'line', point: { size: pointSize }, strokeWidth: 2 },
        encoding: { x, y: { field: 'mean', type: 'quantitative', scale, title }, color },
      },
    ],
  };
}

/** One row per measure (train NLL, test error, ...), one column per panel, one line per norm with its min-max band. */
export function learningCurves(
  name: string,
  points: readonly CurvePoint[],
  measures: readonly MeasureAxis[],
  subtitle: string,
): Spec {
  const color = normColor(unique(points.map((p) => p.norm)));
  const rows = measures
    .map((m) => {
      const values = points.filter((p) => p.measure === m.measure);
      if (values.length === 0) return undefined;
      const log = m.log && values.every((v) => v.lo > 0);
      const scale = log ? { type: 'log' } : m.domain ? { domain: m.domain, zero: false } : { zero: false };
      const title = log || !m.log ? m.title : m.title.replace(', log scale', '');
      const x = {
        field: 'epoch',
        type: 'quantitative',
        title: 'epoch',
        scale: { nice: false },
        axis: { values: epochTicks(values.map((v) => v.epoch)), format: 'd' },
      };
      return maybeFacet(values, bandAndLine(x, scale, title, color, 25));
    })
    .filter((r): r is Spec => r !== undefined);
  return figure(`${name}: learning curves`, subtitle, {
    vconcat: rows,
    resolve: { scale: { color: 'shared' } },
    config: LINE_CONFIG,
  });
}

/** Final value of `measure` against a swept number (`xTitle`), one line per norm, panels by the other keys. */
export function sweepPlot(
  name: string,
  points: readonly FinalPoint[],
  axis: MeasureAxis,
  xTitle: string,
  xLogBase: number | undefined,
  subtitle: string,
): Spec {
  const values = points
    .filter((p) => p.measure === axis.measure && p.x !== undefined)
    .map((p) => ({ ...p, panel: p.group }));
  const color = normColor(unique(values.map((p) => p.norm)));
  const xs = unique(values.map((v) => v.x!)).sort((a, b) => a - b);
  const x = {
    field: 'x',
    type: 'quantitative',
    title: xLogBase ? `${xTitle} (log${xLogBase === 2 ? '2' : ''} scale)` : xTitle,
    scale: xLogBase
      ? { type: 'log', base: xLogBase, nice: false, padding: 12 }
      : { zero: false, nice: false, padding: 12 },
    axis: { values: xs },
  };
  const scale = axis.domain ? { domain: axis.domain, zero: false } : { zero: false };
  const spec = bandAndLine(x, scale, axis.title, color, 30);
  return figure(`${name}: final ${axis.title.replace(/ \(.*\)$/, '')} against ${xTitle}`, subtitle, {
    ...maybeFacet(values, spec),
    config: LINE_CONFIG,
  });
}

/**
 * A task's bar chart (e.g. retrieval's recall@1/5/10 in percent, caption and image retrieval side by side): one bar
 * per label and norm, error bars from min to max, a column of panels per group of the chart.
 */
export function barChart(name: string, chart: BarChart, points: readonly FinalPoint[], subtitle: string): Spec {
  const bars = new Map(
    chart.groups.flatMap((g) => Object.entries(g.bars).map(([k, measure]) => [measure, { direction: g.title, k }])),
  );
  const values = points
    .filter((p) => bars.has(p.measure))
    .map((p) => ({ ...p, panel: p.group, ...bars.get(p.measure)! }));
  const color = normColor(unique(values.map((p) => p.norm)));
  const normSort = (color.sort as string[]) ?? [];
  const labels = Object.keys(chart.groups[0]?.bars ?? {});
  const x = { field: 'k', type: 'nominal', title: chart.xTitle, sort: labels, axis: { labelAngle: 0 } };
  const xOffset = { field: 'norm', type: 'nominal', sort: normSort };
  const y = { type: 'quantitative', title: chart.yTitle, scale: chart.domain ? { domain: chart.domain } : {} };
  const spec = {
    width: WIDTH,
    height: HEIGHT,
    layer: [
      { mark: 'bar', encoding: { x, xOffset, y: { ...y, field: 'mean' }, color } },
      {
        mark: { type: 'rule', color: 'black' },
        encoding: { x, xOffset, y: { ...y, field: 'lo' }, y2: { field: 'hi' } },
      },
    ],
  };
  const panels = unique(values.map((v) => v.panel));
  const facet: Spec = { column: { field: 'direction', type: 'nominal', title: null } };
  if (panels.length > 1) facet.row = { field: 'panel', type: 'nominal', title: null, sort: panels };
  return figure(`${name}: ${chart.title}`, subtitle, { data: { values }, facet, spec });
}
