// One row of metrics.csv, and the columns each kind of run writes.
import { RETRIEVAL_METRICS, type RunConfig } from '../config/schema';

export type RetrievalMetric = (typeof RETRIEVAL_METRICS)[number];

/** What a task's evaluation reports: classification fills test_nll and test_error, retrieval the recall columns. */
export type TestMetrics = { test_nll?: number | null; test_error?: number | null } & Partial<
  Record<RetrievalMetric, number>
>;

export type EpochMetrics = TestMetrics & {
  epoch: number;
  /** Optimizer updates so far. */
  step: number;
  /**
   * Mean training loss over this epoch's examples, with the weights as they were at each step: cross-entropy
   * (nats) for classification, the ranking loss per pair for retrieval.
   */
  train_nll: number;
  /** Since the run began. */
  seconds: number;
};

/** Every run's columns (test_nll and test_error are empty for retrieval). */
export const METRIC_COLUMNS = ['epoch', 'step', 'train_nll', 'test_nll', 'test_error', 'seconds'] as const;

/** metrics.csv's header for a run: the common columns, then recall@K and mean rank for retrieval. */
export function metricColumns(config: Pick<RunConfig, 'model'>): string[] {
  return config.model.kind === 'retrieval' ? [...METRIC_COLUMNS, ...RETRIEVAL_METRICS] : [...METRIC_COLUMNS];
}
