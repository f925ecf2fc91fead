// Whether tfjs is recording operations for a gradient right now, and a tidy that frees a step's intermediates only
// when nothing is being recorded.
import * as tf from '@tensorflow/tfjs';
import { gradientDepth } from './internals';

/**
 * True while tfjs records operations for a gradient, when intermediate tensors must live until the backward
 * pass. Outside (evaluation, batch norm's population pass) a model may free each layer's or step's
 * intermediates as it goes. tfjs has no public accessor: this reads the engine's gradient depth (internals.ts),
 * which tf.grads, tf.variableGrads and optimizers raise while they run the forward function.
 */
export function recordingGradients(): boolean {
  return gradientDepth() > 0;
}

/** `step()` inside its own tf.tidy when no gradient is being recorded (its intermediates freed at once), else as is. */
export function tidyUnlessRecording<T extends tf.TensorContainer>(step: () => T): T {
  return recordingGradients() ? step() : tf.tidy(step);
}
