// The fused normalize-scale-shift forward and backward (src/backend/kernels/normalize.ts has the formulas) as one
// WGSL dispatch each. Layer norm (axis 1): one workgroup per row reduces the row in workgroup memory, two passes
// (mean, then the centred sum of squares) as the JavaScript kernel does. Batch norm (axis 0): one thread per
// column loops over the batch. The backward pass of layer norm needs sums along both axes (per row for dx, per
// column for dgain and dbias): its dispatch has one workgroup per row and, after them, one per block of columns.
// Arithmetic is float32 throughout (WGSL has no float64).
import type * as tf from '@tensorflow/tfjs';
import type { NormalizeAttrs } from '../normalize';
import { dispatch, FLAT_GROUP, gridFor, workgroupSum, type Shader, type WebgpuBackend } from './dispatch';

/** Threads per workgroup. */
const WG = 128;

const dims = (rows: number, cols: number) => `const ROWS = ${rows}u;\nconst COLS = ${cols}u;\nconst WG = ${WG}u;`;

function forwardRowsShader(rows: number, cols: number): Shader {
  const code = `${dims(rows, cols)}
${workgroupSum(WG)}
${FLAT_GROUP}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r = flatGroup(wg);
  if (r >= ROWS) { return; }
  let base = r * COLS;
  var s = 0.0;
  for (var j = t; j < COLS; j += WG) { s += x[base + j]; }
  let mu = workgroupSum(s, t) / f32(COLS);
  var q = 0.0;
  for (var j = t; j < COLS; j += WG) { let c = x[base + j] - mu; q += c * c; }
  let v = workgroupSum(q, t) / f32(COLS);
  let rs = inverseSqrt(v + epsilon());
  for (var j = t; j < COLS; j += WG) { y[base + j] = (x[base + j] - mu) * rs * gain[j] + bias[j]; }
  if (t == 0u) { mean[r] = mu; rstd[r] = rs; variance[r] = v; }
}`;
  return { key: `ln-repro-normalize-rows-${rows}x${cols}`, grid: gridFor(rows), code, ...FORWARD_BINDINGS };
}

function forwardColumnsShader(rows: number, cols: number): Shader {
  const code = `${dims(rows, cols)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  if (j >= COLS) { return; }
  var s = 0.0;
  for (var r = 0u; r < ROWS; r++) { s += x[r * COLS + j]; }
  let mu = s / f32(ROWS);
  var q = 0.0;
  for (var r = 0u; r < ROWS; r++) { let c = x[r * COLS + j] - mu; q += c * c; }
  let v = q / f32(ROWS);
  let rs = inverseSqrt(v + epsilon());
  let scale = rs * gain[j];
  for (var r = 0u; r < ROWS; r++) { y[r * COLS + j] = (x[r * COLS + j] - mu) * scale + bias[j]; }
  mean[j] = mu; rstd[j] = rs; variance[j] = v;
}`;
  return {
    key: `ln-repro-normalize-columns-${rows}x${cols}`,
    grid: [Math.ceil(cols / WG), 1],
    code,
    ...FORWARD_BINDINGS,
  };
}

const FORWARD_BINDINGS = {
  inputs: ['x', 'gain', 'bias'],
  outputs: ['y', 'mean', 'rstd', 'variance'],
  params: ['epsilon'],
} as const;

/** Inputs x [n, d], gain [d], bias [d]; outputs y, mean, rstd, variance (stats [n, 1] or [1, d]). */
export function normalizeForward(
  backend: WebgpuBackend,
  [x, gain, bias]: tf.TensorInfo[],
  { axis, epsilon }: NormalizeAttrs,
): tf.TensorInfo[] {
  const [rows, cols] = x.shape;
  const shader = (axis === 1 ? forwardRowsShader : forwardColumnsShader)(rows, cols);
  const stats = axis === 1 ? [rows, 1] : [1, cols];
  return dispatch(backend, shader, [x, gain, bias], [x.shape, stats, stats, stats], [epsilon]);
}

/** WGSL: layer norm's dx for row r (a workgroup), and dgain, dbias for column j (a thread). */
const ROW_AND_COLUMN_GRADS = `fn rowGrad(r: u32, t: u32) {
  let base = r * COLS;
  let mu = mean[r];
  let rs = rstd[r];
  var s1 = 0.0;
  var s2 = 0.0;
  for (var j = t; j < COLS; j += WG) {
    let dh = dy[base + j] * gain[j];
    s1 += dh;
    s2 += dh * (x[base + j] - mu) * rs;
  }
  let m1 = workgroupSum(s1, t) / f32(COLS);
  let m2 = workgroupSum(s2, t) / f32(COLS);
  for (var j = t; j < COLS; j += WG) {
    dx[base + j] = rs * (dy[base + j] * gain[j] - m1 - (x[base + j] - mu) * rs * m2);
  }
}
fn columnGrad(j: u32) {
  var dg = 0.0;
  var db = 0.0;
  for (var r = 0u; r < ROWS; r++) {
    let d = dy[r * COLS + j];
    dg += d * (x[r * COLS + j] - mean[r]) * rstd[r];
    db += d;
  }
  dgain[j] = dg;
  dbias[j] = db;
}`;

function backwardRowsShader(rows: number, cols: number): Shader {
  const code = `${dims(rows, cols)}
${workgroupSum(WG)}
${FLAT_GROUP}
${ROW_AND_COLUMN_GRADS}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let g = flatGroup(wg);
  if (g < ROWS) {
    rowGrad(g, t);
  } else {
    let j = (g - ROWS) * WG + t;
    if (j < COLS) { columnGrad(j); }
  }
}`;
  const groups = rows + Math.ceil(cols / WG);
  return { key: `ln-repro-normalize-grad-rows-${rows}x${cols}`, grid: gridFor(groups), code, ...BACKWARD_BINDINGS };
}

function backwardColumnsShader(rows: number, cols: number): Shader {
  // Along the batch: mean(dxhat) = gain * dbias / n and mean(dxhat * xhat) = gain * dgain / n.
  const code = `${dims(rows, cols)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  if (j >= COLS) { return; }
  let mu = mean[j];
  let rs = rstd[j];
  var dg = 0.0;
  var db = 0.0;
  for (var r = 0u; r < ROWS; r++) {
    let d = dy[r * COLS + j];
    dg += d * (x[r * COLS + j] - mu) * rs;
    db += d;
  }
  dgain[j] = dg;
  dbias[j] = db;
  let a = rs * gain[j];
  let b = db / f32(ROWS);
  let c = rs * dg / f32(ROWS);
  for (var r = 0u; r < ROWS; r++) {
    let i = r * COLS + j;
    dx[i] = a * (dy[i] - b - (x[i] - mu) * c);
  }
}`;
  return {
    key: `ln-repro-normalize-grad-columns-${rows}x${cols}`,
    grid: [Math.ceil(cols / WG), 1],
    code,
    ...BACKWARD_BINDINGS,
  };
}

const BACKWARD_BINDINGS = {
  inputs: ['dy', 'x', 'mean', 'rstd', 'gain'],
  outputs: ['dx', 'dgain', 'dbias'],
  params: [],
} as const;

/** Inputs dy, x [n, d], mean, rstd (stats shape), gain [d]; outputs dx [n, d], dgain [d], dbias [d]. */
export function normalizeBackward(
  backend: WebgpuBackend,
  inputs: tf.TensorInfo[],
  { axis }: NormalizeAttrs,
): tf.TensorInfo[] {
  const [rows, cols] = inputs[0].shape;
  const shader = (axis === 1 ? backwardRowsShader : backwardColumnsShader)(rows, cols);
  return dispatch(backend, shader, inputs, [[rows, cols], [cols], [cols]]);
}
