// What the training loop needs of a task: trainable variables, the objective of a mini-batch, test metrics.
// The tasks (src/tasks/) implement it; the loop knows none of them by name.
import type * as tf from '@tensorflow/tfjs';
import type { TestMetrics, TrainLossColumn } from '../metrics/types';

/** One run's model and data on the device, as the training loop drives them. */
export interface Task {
  /** Everything the optimizer updates. */
  readonly trainable: tf.Variable[];
  /** Training examples (pairs, for retrieval) per epoch. */
  readonly trainCount: number;
  /** The training objective on the training examples at `batch` (called under the optimizer's gradient tape). */
  objective(batch: Int32Array): tf.Scalar;
  /**
   * The model's forward pass in training mode on the training examples at `batch`, without the loss (batch
   * norm's population pass: thousands of examples at once, where a loss over all pairs would not fit).
   */
  forward(batch: Int32Array): void;
  /** The per-example training loss that metrics.csv reports for a batch whose objective was `value`. */
  perExample(value: number, batchSize: number): number;
  /** The metrics.csv column of the epoch's mean training loss (train_nll; DRAW's train_bound). */
  readonly lossColumn: TrainLossColumn;
  /** Test metrics, the model in evaluation mode (read back from the device asynchronously). */
  evaluate(): Promise<TestMetrics>;
  /**
   * What a task keeps of a completed run besides its metrics (DRAW: digits drawn from the prior, canvases step by
   * step), by file name in the run folder; JSON-serializable. Called once, after the last epoch.
   */
  artifacts?(): Promise<Record<string, unknown>>;
  /** Frees the model (trained and untrained variables) and the data on the device. */
  dispose(): void;
}
