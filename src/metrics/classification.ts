// Classification metrics on logits: negative log-likelihood (nats) and error (fraction misclassified).
import * as tf from '@tensorflow/tfjs';

/** Mean over the batch of -log softmax(logits)[label]; logits [batch, classes], oneHot [batch, classes]. */
export function meanNll(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean<tf.Scalar>(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)));
}

/** Sum over the batch of the NLL and of the misclassifications (argmax != label; ties go to the lowest class). */
export function nllAndErrorSums(logits: tf.Tensor2D, labels: tf.Tensor1D): { nll: tf.Scalar; errors: tf.Scalar } {
  const classes = logits.shape[1];
  const nll = tf.neg(tf.sum<tf.Scalar>(tf.mul(tf.oneHot(labels, classes), tf.logSoftmax(logits))));
  const errors = tf.sum<tf.Scalar>(tf.cast(tf.notEqual(tf.argMax(logits, 1), labels), 'float32'));
  return { nll, errors };
}
