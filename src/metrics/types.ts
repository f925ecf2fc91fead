// What a run measures, by name, without tfjs: the rows of metrics.csv (each task names its own columns, in its
// spec) and the names the metric functions and the configs share.

/** The columns every metrics.csv has, before and after a task's own (src/tasks/<task>/spec.ts). */
export const LEADING_COLUMNS = ['epoch', 'step'] as const;
export const TRAILING_COLUMNS = ['seconds'] as const;

/** A task's measures of one epoch: its own columns (an empty cell is null). */
export type Measures = Record<string, number | null>;

/** One row of metrics.csv. */
export type EpochMetrics = Measures & {
  epoch: number;
  /** Optimizer updates so far. */
  step: number;
  /** Since the run began. */
  seconds: number;
};

/** The ranking losses of retrieval (metrics/retrieval.ts), named by the config's model.loss. */
export const RANKING_LOSSES = ['contrastive', 'order'] as const;
export type RankingLoss = (typeof RANKING_LOSSES)[number];
