// Population statistics for batch norm (Ioffe & Szegedy 2015, section 3.1 and Algorithm 2): with the weights
// fixed, the mini-batch statistics of a pass over the training set are averaged, and evaluation normalizes with
// the averages. Exponential running averages approximate this while the weights still move; where a unit's true
// variance is near 0 (W_h h_0 and the blank first rows of every MNIST digit in a BN-LSTM), their lag is
// amplified by gamma / sqrt(epsilon) and evaluation goes wrong.
//
// A pass is scoped like tf.tidy: between beginPopulationPass() and commit(), every batch norm run in training
// mode hands its batch statistics here instead of moving running averages; commit() writes each norm's
//   mean     = sum_b n_b mean_b / sum_b n_b                  (the mean over every example seen)
//   variance = sum_b n_b var_b / sum_b (n_b - 1)             (var_b the biased batch variance)
// i.e. the average of the unbiased batch variances n_b / (n_b - 1) var_b weighted by their degrees of freedom
// n_b - 1: Ioffe & Szegedy's E_B[m / (m - 1) sigma_B^2] when every batch holds m examples, and a batch of one
// (which has no variance) counts for the mean only. The batches are large (model.bnStatsBatch): see README.
import * as tf from '@tensorflow/tfjs';

/** The statistics a batch norm evaluates with, [units] each: what a pass overwrites. */
export interface PopulationTarget {
  readonly mean: tf.Variable<tf.Rank.R1>;
  readonly variance: tf.Variable<tf.Rank.R1>;
}

interface Sums {
  /** [units] sum_b n_b mean_b and sum_b n_b var_b, on the device. */
  weightedMean: tf.Tensor1D;
  weightedVariance: tf.Tensor1D;
  examples: number;
  degreesOfFreedom: number;
}

let active: Map<PopulationTarget, Sums> | undefined;

/** True while a population pass collects: training-mode batch norms report here and leave their statistics alone. */
export function collectingPopulation(): boolean {
  return active !== undefined;
}

/** One mini-batch's statistics of a norm's input: mean and biased variance, [units] or [1, units], over `count` examples. */
export interface BatchStatistics {
  mean: tf.Tensor;
  variance: tf.Tensor;
  count: number;
}

/** Adds one mini-batch's statistics of `target` to the running pass. */
export function addBatchStatistics(target: PopulationTarget, batch: BatchStatistics): void {
  if (!active) throw new Error('addBatchStatistics: no population pass is running');
  const n = batch.count;
  const prev = active.get(target);
  const [weightedMean, weightedVariance] = tf.tidy(() => {
    const m = tf.mul(tf.reshape(batch.mean, [-1]), n) as tf.Tensor1D;
    const v = tf.mul(tf.reshape(batch.variance, [-1]), n) as tf.Tensor1D;
    return prev
      ? [tf.add(prev.weightedMean, m) as tf.Tensor1D, tf.add(prev.weightedVariance, v) as tf.Tensor1D]
      : [m, v];
  });
  active.set(target, {
    weightedMean: tf.keep(weightedMean),
    weightedVariance: tf.keep(weightedVariance),
    examples: (prev?.examples ?? 0) + n,
    degreesOfFreedom: (prev?.degreesOfFreedom ?? 0) + n - 1,
  });
  if (prev) tf.dispose([prev.weightedMean, prev.weightedVariance]);
}

export interface PopulationPass {
  /** Writes every norm's population statistics and ends the pass; returns how many norms it updated. */
  commit(): number;
  /** Ends the pass without writing anything (e.g. when interrupted); does nothing after commit. */
  end(): void;
}

/**
 * Starts collecting. A norm that saw no batch keeps its statistics; one that saw only batches of one example
 * (possible at the late steps of masked sequences) gets their mean and variance 0: training mode mapped each of
 * those examples to the bias, and evaluation then does the same (batchNormEval, constant units).
 */
export function beginPopulationPass(): PopulationPass {
  if (active) throw new Error('beginPopulationPass: a pass is already running');
  const sums = new Map<PopulationTarget, Sums>();
  active = sums;
  const end = () => {
    if (active === sums) active = undefined;
    for (const s of sums.values()) tf.dispose([s.weightedMean, s.weightedVariance]);
    sums.clear();
  };
  return {
    commit() {
      const count = sums.size;
      tf.tidy(() => {
        for (const [target, s] of sums) {
          target.mean.assign(tf.div(s.weightedMean, s.examples));
          target.variance.assign(
            s.degreesOfFreedom > 0 ? tf.div(s.weightedVariance, s.degreesOfFreedom) : tf.zerosLike(target.variance),
          );
        }
      });
      end();
      return count;
    },
    end,
  };
}

/** Runs `forward` (training-mode forward passes) as a population pass and commits it; returns the norms updated. */
export function collectPopulationStatistics(forward: () => void): number {
  const pass = beginPopulationPass();
  try {
    forward();
    return pass.commit();
  } finally {
    pass.end();
  }
}
