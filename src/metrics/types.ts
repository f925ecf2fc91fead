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

/**
 * Columns a DRAW run adds (paper section 6.4; nats per example): the mean negative ELBO over the training epoch
 * (its training loss), the test set's in evaluation mode, and the test bound's two terms, reconstruction and KL.
 */
export const DRAW_METRICS = ['train_bound', 'test_bound', 'test_recon', 'test_kl'] as const;

/** The column a task writes its mean training loss per example to: train_nll, or DRAW's train_bound. */
export const TRAIN_LOSS_COLUMNS = ['train_nll', 'train_bound'] as const;
export type TrainLossColumn = (typeof TRAIN_LOSS_COLUMNS)[number];

/** What a claim may compare: a task's metrics (a task adding columns adds them here for claims to name). */
export const CLAIM_METRICS = ['test_error', 'test_nll', 'train_nll', ...RETRIEVAL_METRICS, ...DRAW_METRICS] as const;

/** The ranking losses of retrieval (metrics/retrieval.ts), named by the config's model.loss. */
export const RANKING_LOSSES = ['contrastive', 'order'] as const;
export type RankingLoss = (typeof RANKING_LOSSES)[number];

type RetrievalMetric = (typeof RETRIEVAL_METRICS)[number];

type DrawTestMetric = Exclude<(typeof DRAW_METRICS)[number], 'train_bound'>;

/**
 * What a task's evaluation reports: classification fills test_nll and test_error, retrieval the recall columns,
 * DRAW the test bound and its terms.
 */
export type TestMetrics = { test_nll?: number | null; test_error?: number | null } & Partial<
  Record<RetrievalMetric | DrawTestMetric, number>
>;

/** One row of metrics.csv. */
export type EpochMetrics = TestMetrics & {
  epoch: number;
  /** Optimizer updates so far. */
  step: number;
  /**
   * Mean training loss over this epoch's examples, with the weights as they were at each step: cross-entropy
   * (nats) for classification, the ranking loss per pair for retrieval (DRAW writes train_bound instead).
   */
  train_nll?: number;
  /** DRAW: the mean negative ELBO per training example over this epoch (nats). */
  train_bound?: number;
  /** Since the run began. */
  seconds: number;
};
