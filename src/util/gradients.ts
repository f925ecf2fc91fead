// Whether tfjs is recording operations for a gradient right now.
import * as tf from '@tensorflow/tfjs';

/**
 * True while tfjs records operations for a gradient, when intermediate tensors must live until the backward
 * pass. Outside (evaluation, batch norm's population pass) a model may free each layer's or step's
 * intermediates as it goes. tfjs has no public accessor: this reads the engine's gradient depth, which
 * tf.grads, tf.variableGrads and optimizers raise while they run the forward function.
 */
export function recordingGradients(): boolean {
  return (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
}

/** `step()` inside its own tf.tidy when no gradient is being recorded (its intermediates freed at once), else as is. */
export function tidyUnlessRecording<T extends tf.TensorContainer>(step: () => T): T {
  return recordingGradients() ? step() : tf.tidy(step);
}
