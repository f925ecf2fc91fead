// A kind of task (TaskKind): everything that differs between kinds of run, from building the model and its
// objective (the Task the training loop drives) to metrics.csv's columns, progress text and the report's figures
// and tables. Classification (MLP, convnet, sequential MNIST) and caption-image retrieval; registry.ts lists them.
import type { RunConfig } from '../config/schema';
import type { Dataset } from '../data/types';
import type { EpochMetrics } from '../metrics/types';
import type { Task } from '../train/task';

/** A measure a figure plots: a metrics.csv column with its axis title (with units), scale and range. */
export interface MeasureAxis {
  measure: keyof EpochMetrics;
  /** Axis title with its unit, e.g. `train NLL (nats, log scale)`. */
  title: string;
  log?: boolean;
  /** Fixed y domain, e.g. [0, 100] for percentages. */
  domain?: [number, number];
}

/** Pictures of a run's artifacts (report/pictures.ts): DRAW's digits from the prior, and its canvas step by step. */
export type PictureKind = 'draw-samples' | 'draw-strip';

/**
 * Figures a task adds to the report beyond its curves and sweep plots: charts (report/figures.ts draws each kind)
 * and pictures.
 */
export type ExtraFigure = 'recall' | PictureKind;

/** A kind of task: which configs it trains, how to build it, and how its results are shown. */
export interface TaskKind {
  /** Recorded with progress events (which cross process boundaries as JSON) and looked up by taskNamed. */
  readonly name: string;
  /** True for the run configs this task trains. */
  accepts(config: Readonly<RunConfig>): boolean;
  /** Builds the model and puts the data on the device. */
  create(config: Readonly<RunConfig>, data: Dataset): Task;
  /** metrics.csv's header (summary.csv's metric columns too). */
  readonly columns: readonly (keyof EpochMetrics)[];
  /** One progress line's metrics for an epoch, e.g. `train_nll 0.1 test_nll 0.2 test_error 0.05`. */
  epochText(row: EpochMetrics): string;
  /** The final metrics `run` tabulates at its end. */
  readonly tableColumns: readonly (keyof EpochMetrics)[];
  /** The report: learning-curve panels, the measure of sweep plots, the final-metrics table, extra figures. */
  readonly curves: readonly MeasureAxis[];
  readonly sweepAxis: MeasureAxis;
  readonly finalColumns: readonly { measure: keyof EpochMetrics; digits: number }[];
  readonly extraFigures: readonly ExtraFigure[];
}
