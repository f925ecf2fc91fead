// What the training loop needs of a task: its model's parameters, the objective of a mini-batch, test metrics, and
// the pass after each epoch its norm may need. The tasks (src/tasks/) implement it; the loop knows none of them.
import type * as tf from '@tensorflow/tfjs';
import type { YieldPoint } from '../metrics/batch-sums';
import type { Measures } from '../metrics/types';
import type { StatisticsPass } from '../norm/types';

/**
 * When a run has diverged besides a non-finite training loss: an epoch whose `columns` (the training loss column
 * and the test metrics in its units) hold a value above `factor` times the untrained model's training loss (the
 * first step's, before the first update), or a value that is not finite.
 */
export interface LossBound {
  factor: number;
  columns: readonly string[];
}

/** One run's model and data on the device, as the training loop drives them. */
export interface Task {
  /** Everything the optimizer updates. */
  readonly parameters: tf.Variable[];
  /** Training examples (pairs, for retrieval) per epoch. */
  readonly trainCount: number;
  /** The training objective on the training examples at `batch` (called under the optimizer's gradient tape). */
  objective(batch: Int32Array): tf.Scalar;
  /**
   * The pass after each epoch that the model's norm calls for (batch norm's population statistics), if any: the
   * loop runs `forward` over the training set in its batches, weights fixed (src/tasks/registry.ts sets it).
   */
  readonly statisticsPass?: StatisticsPass;
  /**
   * The model's forward pass in training mode on the training examples at `batch`, without the loss (batch
   * norm's population pass: thousands of examples at once, where a loss over all pairs would not fit).
   */
  forward(batch: Int32Array): void;
  /** The per-example training loss that metrics.csv reports for a batch whose objective was `value`. */
  perExample(value: number, batchSize: number): number;
  /** The metrics.csv column of the epoch's mean training loss (its task spec's lossColumn). */
  readonly lossColumn: string;
  /** The task's loss bound (its spec's `divergence`; src/tasks/registry.ts sets it); unset: non-finite losses only. */
  readonly divergence?: LossBound;
  /**
   * Test metrics by column, the model in evaluation mode (read back from the device asynchronously); `yieldPoint`
   * is awaited between its batches, and undefined is returned when it asks to stop.
   */
  evaluate(yieldPoint?: YieldPoint): Promise<Measures | undefined>;
  /**
   * What a task keeps of a completed run besides its metrics (DRAW: digits drawn from the prior, canvases step by
   * step), by file name in the run folder; JSON-serializable. Called once, after the last epoch.
   */
  artifacts?(): Promise<Record<string, unknown>>;
  /** Frees the model (trained and untrained variables) and the data on the device. */
  dispose(): void;
}
