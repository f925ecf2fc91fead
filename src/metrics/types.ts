// What a run measures, by name: metrics.csv's columns and the metrics a claim may compare. The config schema
// (claims), the tasks (which columns they write) and the result readers all take the names from here.

/** Columns every run writes (test_nll and test_error stay empty where a task has no such measure). */
export const METRIC_COLUMNS = ['epoch', 'step', 'train_nll', 'test_nll', 'test_error', 'seconds'] as const;

/** Columns a retrieval run adds after the common ones: recall@K in percent and mean rank. */
export const RETRIEVAL_METRICS = [
  'caption_r1',
  'caption_r5',
  'caption_r10',
  'caption_mean_rank',
  'image_r1',
  'image_r5',
  'image_r10',
  'image_mean_rank',
] as const;

/** What a claim may compare: a task's metrics (a task adding columns adds them here for claims to name). */
export const CLAIM_METRICS = ['test_error', 'test_nll', 'train_nll', ...RETRIEVAL_METRICS] as const;

/** The ranking losses of retrieval (metrics/retrieval.ts), named by the config's model.loss. */
export const RANKING_LOSSES = ['contrastive', 'order'] as const;
export type RankingLoss = (typeof RANKING_LOSSES)[number];

type RetrievalMetric = (typeof RETRIEVAL_METRICS)[number];

/** What a task's evaluation reports: classification fills test_nll and test_error, retrieval the recall columns. */
export type TestMetrics = { test_nll?: number | null; test_error?: number | null } & Partial<
  Record<RetrievalMetric, number>
>;

/** One row of metrics.csv. */
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
