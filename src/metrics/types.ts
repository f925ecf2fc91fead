// What a run measures, by name, without tfjs: the rows of metrics.csv (each task names its own columns, in its
// spec) and the names the metric functions and the configs share.

/** The columns every metrics.csv has, before and after a task's own (src/tasks/<task>/spec.ts). */
export const LEADING_COLUMNS = ['epoch', 'step'] as const;
export const TRAILING_COLUMNS = ['seconds'] as const;

/** A task's measures of one epoch: its own columns (an empty cell is null). */
export type Measures = Record<string, number | null>;

/** One row of metrics.csv. */
export type EpochMetrics = Measures & {
  /** 1, 2, ... at an epoch's end; between them (train.evalEvery) the fraction of the epochs done, e.g. 1.25. */
  epoch: number;
  /** Optimizer updates so far. */
  step: number;
  /** Since the run began. */
  seconds: number;
};

/** The epochs a run completed: its rows at an epoch's end (whole epochs; train.evalEvery's rows lie between). */
export const wholeEpochs = (rows: readonly { epoch: number }[]): number =>
  rows.filter((r) => Number.isInteger(r.epoch)).length;

/** The ranking losses of retrieval (metrics/retrieval.ts), named by the config's model.loss. */
export const RANKING_LOSSES = ['contrastive', 'order'] as const;
export type RankingLoss = (typeof RANKING_LOSSES)[number];
