// Classification metrics on logits: negative log-likelihood (nats) and error (fraction misclassified).
import * as tf from '@tensorflow/tfjs';

/**
 * Fused kernels a backend may register for meanNll (webgpu does: src/backend/kernels/webgpu/softmax-ce.ts): inputs
 * logits and labels [batch, classes], output the mean loss; the gradient's inputs dy, logits and labels.
 */
export const SOFTMAX_CE = 'LnReproSoftmaxCrossEntropy';
export const SOFTMAX_CE_GRAD = 'LnReproSoftmaxCrossEntropyGrad';

/** Mean over the batch of -log softmax(logits)[label]; logits [batch, classes], oneHot [batch, classes]. */
export function meanNll(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  const backend = tf.getBackend();
  const fused = tf.getKernel(SOFTMAX_CE, backend) && tf.getKernel(SOFTMAX_CE_GRAD, backend);
  // The fused kernels take labels of the logits' own shape (no broadcasting) and a batch of at least one.
  if (fused && logits.rank === 2 && tf.util.arraysEqual(logits.shape, oneHot.shape) && logits.size > 0)
    return fusedMeanNll(logits, oneHot);
  return tf.neg(tf.mean<tf.Scalar>(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)));
}

/**
 * meanNll as the backend's fused kernels. The labels are constants (no gradient flows to them), saved with the
 * logits: the caller may dispose of them before the backward pass (a loss function's tensors are tidied first).
 */
function fusedMeanNll(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  const run = (name: string, inputs: tf.NamedTensorMap) => tf.engine().runKernel(name, inputs, {}) as tf.Tensor;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([x, oneHot]);
    return {
      value: run(SOFTMAX_CE, { logits: x, labels: oneHot }),
      gradFunc: (dy: tf.Tensor, [saved, labels]: tf.Tensor[]) => run(SOFTMAX_CE_GRAD, { dy, logits: saved, labels }),
    };
  });
  return op(logits) as tf.Scalar;
}

/** Sum over the batch of the NLL and of the misclassifications (argmax != label; ties go to the lowest class). */
export function nllAndErrorSums(logits: tf.Tensor2D, labels: tf.Tensor1D): { nll: tf.Scalar; errors: tf.Scalar } {
  const classes = logits.shape[1];
  const nll = tf.neg(tf.sum<tf.Scalar>(tf.mul(tf.oneHot(labels, classes), tf.logSoftmax(logits))));
  const errors = tf.sum<tf.Scalar>(tf.cast(tf.notEqual(tf.argMax(logits, 1), labels), 'float32'));
  return { nll, errors };
}
