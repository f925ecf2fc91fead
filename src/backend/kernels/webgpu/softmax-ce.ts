// The training loss, mean over the batch of -sum_c t_c log softmax(l)_c, and its gradient with respect to the
// logits, (softmax(l) * sum_c t_c - t) / n, as one WGSL dispatch each instead of the ~25 kernels of the composite
// (logSoftmax, product, sums, mean and their gradients). Registered for webgpu only: on cpu and wasm the composite
// is cheap, and their numbers stay as they were.
import type * as tf from '@tensorflow/tfjs';
import type { WebgpuBackend } from '../../internals';
import { dispatch, workgroupSum, type Shader } from './dispatch';

const WG = 128;

/** WGSL: log sum_c exp(l_c) of row r, and sum_c t_c, sum_c t_c l_c. */
const ROW = (classes: number) => `const CLASSES = ${classes}u;
fn logSumExp(base: u32) -> f32 {
  var top = logits[base];
  for (var c = 1u; c < CLASSES; c++) { top = max(top, logits[base + c]); }
  var s = 0.0;
  for (var c = 0u; c < CLASSES; c++) { s += exp(logits[base + c] - top); }
  return top + log(s);
}`;

function lossShader(rows: number, classes: number): Shader {
  const code = `const ROWS = ${rows}u;
${ROW(classes)}
${workgroupSum(WG)}
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) t: u32) {
  var mine = 0.0;
  for (var r = t; r < ROWS; r += ${WG}u) {
    let base = r * CLASSES;
    let lse = logSumExp(base);
    for (var c = 0u; c < CLASSES; c++) { mine += f32(labels[base + c]) * (lse - logits[base + c]); }
  }
  let total = workgroupSum(mine, t);
  if (t == 0u) { loss[0] = total / f32(ROWS); }
}`;
  return {
    key: `ln-repro-softmax-ce-${rows}x${classes}`,
    inputs: ['logits', 'labels'],
    integerInputs: ['labels'],
    outputs: ['loss'],
    params: [],
    code,
    grid: [1, 1],
  };
}

function gradShader(rows: number, classes: number): Shader {
  const code = `const ROWS = ${rows}u;
${ROW(classes)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let r = id.x;
  if (r >= ROWS) { return; }
  let base = r * CLASSES;
  let lse = logSumExp(base);
  var mass = 0.0;
  for (var c = 0u; c < CLASSES; c++) { mass += f32(labels[base + c]); }
  let scale = dy[0] / f32(ROWS);
  for (var c = 0u; c < CLASSES; c++) {
    dlogits[base + c] = scale * (exp(logits[base + c] - lse) * mass - f32(labels[base + c]));
  }
}`;
  return {
    key: `ln-repro-softmax-ce-grad-${rows}x${classes}`,
    inputs: ['dy', 'logits', 'labels'],
    integerInputs: ['labels'],
    outputs: ['dlogits'],
    params: [],
    code,
    grid: [Math.ceil(rows / WG), 1],
  };
}

/** Inputs logits, labels [n, classes] (one-hot or any weights, float32 or int32); output the mean loss, a scalar. */
export function softmaxCrossEntropy(backend: WebgpuBackend, [logits, labels]: tf.TensorInfo[]): tf.TensorInfo[] {
  const [rows, classes] = logits.shape;
  return dispatch(backend, lossShader(rows, classes), [logits, labels], [[]]);
}

/** Inputs dy (scalar), logits, labels; output d loss / d logits. */
export function softmaxCrossEntropyGrad(backend: WebgpuBackend, inputs: tf.TensorInfo[]): tf.TensorInfo[] {
  const [rows, classes] = inputs[1].shape;
  return dispatch(backend, gradShader(rows, classes), inputs, [[rows, classes]]);
}
