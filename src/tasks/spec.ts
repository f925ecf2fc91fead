// What a task declares about itself without tfjs, for the config schema, the progress lines, summary and check, and
// the report: its metrics.csv columns, the ones claims may compare, how they are shown, and its data keys.
import type { z } from 'zod';
import type { EpochMetrics } from '../metrics/types';

/** A measure a figure plots: a metrics.csv column with its axis title (with units), scale and range. */
export interface MeasureAxis {
  measure: string;
  /** Axis title with its unit, e.g. `train NLL (nats, log scale)`. */
  title: string;
  log?: boolean;
  /** Fixed y domain, e.g. [0, 100] for percentages. */
  domain?: [number, number];
}

/**
 * Grouped bars of final values (retrieval's recall@K): one panel per group, one bar per label and norm, error bars
 * from min to max over seeds.
 */
export interface BarChart {
  /** File name (`<name>.svg`), and the figure's heading in the report. */
  name: string;
  heading: string;
  /** The figure's own title, after the experiment's name. */
  title: string;
  xTitle: string;
  yTitle: string;
  domain?: [number, number];
  /** Panels: a title and, per bar label (x axis, in order), the metrics.csv column it shows. */
  groups: readonly { title: string; bars: Readonly<Record<string, string>> }[];
}

/**
 * Square tiles in a grid (a picture of a run's artifact): rows * cols tiles of side^2 pixels, tile after tile in
 * row-major order of the grid, each tile's pixels row-major; a pixel is `channels` bytes (0-255).
 */
export interface Tiles {
  rows: number;
  cols: number;
  side: number;
  /** 1 (the default): grey, 255 ink on 0 background; 3: red, green, blue, pixel-interleaved (side^2 * 3 a tile). */
  channels?: 1 | 3;
  pixels: Uint8Array;
}

/**
 * A chart of an artifact: the body of a vega-lite spec (data, marks, encodings, size) with its title and subtitle
 * lines; the report adds its fonts and styles and renders it to SVG and PNG like the learning curves.
 */
export interface ChartPicture {
  title: string;
  subtitle: string[];
  body: Record<string, unknown>;
}

/**
 * A picture the report draws of each model from one of its completed runs' artifacts (src/train/task.ts): a grid of
 * tiles (a PNG), or a chart.
 */
export type PictureSpec = {
  /** The artifact it draws (`<runId>/artifacts/<artifact>.json`); also the picture's file name prefix. */
  artifact: string;
  title: string;
} & ({ tiles(artifact: unknown): Tiles; chart?: never } | { chart(artifact: unknown): ChartPicture; tiles?: never });

/** A check on a whole parsed config: a problem's path and message, or nothing. */
export type ConfigCheck = (run: ParsedRun) => { path: (string | number)[]; message: string } | undefined;

/** A run config as the schema has parsed it, before the defaults that depend on other keys are filled in. */
export interface ParsedRun {
  data: { view: string; train: number } & Record<string, unknown>;
  model: { kind: string; norm: string } & Record<string, unknown>;
  train: { batchSize: number };
}

export interface TaskSpec {
  /** Recorded with progress events (which cross process boundaries as JSON) and looked up by name. */
  readonly name: string;
  /** metrics.csv's columns of this task, between `epoch, step` and `seconds` (summary.csv's metric columns too). */
  readonly columns: readonly string[];
  /** The column of the epoch's mean training loss, named for what it is (train_nll, train_bound, ...). */
  readonly lossColumn: string;
  /**
   * When a run has blown up without a non-finite loss: an epoch whose `columns` (lossColumn and the test metrics in
   * its units) exceed `factor` times the untrained model's training loss (its first step's) ends it as diverged.
   */
  readonly divergence: { factor: number; columns: readonly string[] };
  /** The columns a claim may compare. */
  readonly claimable: readonly string[];
  /** One progress line's metrics for an epoch, e.g. `train_nll 0.1 test_nll 0.2 test_error 0.05`. */
  epochText(row: EpochMetrics): string;
  /** The final metrics `run` tabulates at its end. */
  readonly tableColumns: readonly string[];
  /** The report: learning-curve panels, the measure of sweep plots, the final-metrics table, bars and pictures. */
  readonly curves: readonly MeasureAxis[];
  readonly sweepAxis: MeasureAxis;
  readonly finalColumns: readonly { measure: string; digits: number }[];
  readonly bars?: readonly BarChart[];
  readonly pictures?: readonly PictureSpec[];
  /**
   * The data sources (data.source) this task reads instead of the image sources of src/data/catalog.ts (pen
   * strokes), each loaded by its own `load`; unset: it reads images.
   */
  readonly sources?: readonly string[];
  /**
   * Data keys of this task alone (retrieval's digits per strip), optional in the schema; `resolveData` fills them.
   * A task with `sources` has them refused, naming those sources, in a config of another data.source (schema.ts).
   */
  readonly dataFields?: z.ZodRawShape;
  resolveData?(data: Record<string, unknown>): Record<string, unknown>;
  /** Checks of its keys, run on every config (a key of this task's in another task's config is an error too). */
  readonly checks?: readonly ConfigCheck[];
}

/**
 * A task's resolveData for the keys of its own source: in a config of `source`, each key of `defaults` the config
 * leaves out gets its default; configs of other sources are left as they are.
 */
export function sourceDefaults(source: string, defaults: Readonly<Record<string, unknown>>) {
  return (data: Record<string, unknown>): Record<string, unknown> =>
    data.source === source
      ? { ...data, ...Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, data[k] ?? v])) }
      : data;
}
