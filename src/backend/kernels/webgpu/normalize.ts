// The fused normalize-scale-shift forward and backward (src/backend/kernels/normalize.ts has the formulas) as one
// WGSL dispatch each, 256 threads per workgroup. Layer norm (axis 1): one workgroup per row reduces the row in
// workgroup memory, two passes (mean, then the centred sum of squares) as the JavaScript kernel does. Batch norm
// (axis 0): one workgroup per tile of 16 columns, 16 threads per column splitting the rows between them. The
// backward pass of layer norm needs sums along both axes (per row for dx, per column for dgain and dbias): its
// dispatch has one workgroup per row and, after them, one per tile of columns. No thread loops over a whole batch:
// a GPU would serialize it, and Mesa's llvmpipe silently stops a shader invocation after 65,535 loop iterations.
// Arithmetic is float32 (WGSL has no float64); the forward pass centres about a pivot (the row's or column's first
// value, x - pivot exact for values within a factor of 2) so that data far from 0 keeps its precision; the mean
// it saves for the backward pass is rounded to float32 as the composite path's is. RMSNorm (center false, axis 1
// only) is the rows kernels with the mean taken as 0: no pivot, the variance is the mean square, and the backward
// pass drops mean(dxhat); the flag is baked into the code, so it is part of the pipeline key.
import type * as tf from '@tensorflow/tfjs';
import type { WebgpuBackend } from '../../internals';
import { NORMALIZE, NORMALIZE_GRAD, type NormalizeAttrs } from '../normalize';
import { dispatch, FLAT_GROUP, gridFor, workgroupSum, type Shader } from './dispatch';

/** Threads per workgroup; a column tile is TILE columns of TILE threads each. */
export const WG = 256;
export const TILE = 16;

const dims = (rows: number, cols: number) =>
  `const ROWS = ${rows}u;\nconst COLS = ${cols}u;\nconst WG = ${WG}u;\nconst TILE = ${TILE}u;\n` +
  `const TILES = ${Math.ceil(cols / TILE)}u;`;

/**
 * WGSL: `columnSum(v, t)`, the sum of `v` over the TILE threads of this thread's column (thread t is column t % TILE,
 * lane t / TILE of its tile), returned to each; from uniform control flow only. The lanes' sums are added in order.
 */
const COLUMN_SUM = `var<workgroup> lanes: array<f32, ${WG}>;
fn columnSum(v: f32, t: u32) -> f32 {
  lanes[t] = v;
  workgroupBarrier();
  var total = 0.0;
  for (var l = 0u; l < TILE; l++) { total += lanes[l * TILE + t % TILE]; }
  workgroupBarrier();
  return total;
}`;

/** WGSL lines of the rows forward pass: the pivot and the mean's offset from it (both 0 without re-centering). */
const rowsCentre = (center: boolean) =>
  center
    ? `let pivot = x[base];
  var s = 0.0;
  for (var j = t; j < COLS; j += WG) { s += x[base + j] - pivot; }
  let shift = workgroupSum(s, t) / f32(COLS); // mean - pivot`
    : `let pivot = 0.0;
  let shift = 0.0; // RMSNorm: the mean is taken as 0`;

function forwardRowsShader(rows: number, cols: number, center: boolean): Shader {
  const code = `${dims(rows, cols)}
${workgroupSum(WG)}
${FLAT_GROUP}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r = flatGroup(wg);
  if (r >= ROWS) { return; }
  let base = r * COLS;
  ${rowsCentre(center)}
  var q = 0.0;
  for (var j = t; j < COLS; j += WG) { let c = x[base + j] - pivot - shift; q += c * c; }
  let v = workgroupSum(q, t) / f32(COLS);
  let rs = inverseSqrt(v + epsilon());
  for (var j = t; j < COLS; j += WG) { y[base + j] = (x[base + j] - pivot - shift) * rs * gain[j] + bias[j]; }
  if (t == 0u) { mean[r] = pivot + shift; rstd[r] = rs; variance[r] = v; }
}`;
  const key = `ln-repro-normalize-rows-${rows}x${cols}${center ? '' : '-rms'}`;
  return { key, grid: gridFor(rows), code, ...FORWARD_BINDINGS };
}

/** WGSL shared by the column kernels: the column sum and this thread's column in a tile (TILE and WG declared). */
export const TILE_HEADER = `${FLAT_GROUP}
${COLUMN_SUM}
fn tileColumn(tile: u32, t: u32) -> u32 { return tile * TILE + t % TILE; }`;

/**
 * WGSL, the start of a column kernel's main: its tile (workgroups past the end of a folded grid return), this
 * thread's column j, and jj, the column it reads (a column past the end computes on the last one, writes nothing).
 */
const TILE_START = `  let tile = flatGroup(wg);
  if (tile >= TILES) { return; }
  let j = tileColumn(tile, t);
  let jj = min(j, COLS - 1u);`;

function forwardColumnsShader(rows: number, cols: number): Shader {
  const code = `${dims(rows, cols)}
${TILE_HEADER}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
${TILE_START}
  let ok = j < COLS;
  let pivot = x[jj];
  var s = 0.0;
  for (var r = t / TILE; r < ROWS; r += TILE) { s += x[r * COLS + jj] - pivot; }
  let shift = columnSum(s, t) / f32(ROWS); // mean - pivot
  var q = 0.0;
  for (var r = t / TILE; r < ROWS; r += TILE) { let c = x[r * COLS + jj] - pivot - shift; q += c * c; }
  let v = columnSum(q, t) / f32(ROWS);
  let rs = inverseSqrt(v + epsilon());
  let scale = rs * gain[jj];
  if (!ok) { return; }
  for (var r = t / TILE; r < ROWS; r += TILE) {
    y[r * COLS + j] = (x[r * COLS + j] - pivot - shift) * scale + bias[j];
  }
  if (t < TILE) { mean[j] = pivot + shift; rstd[j] = rs; variance[j] = v; }
}`;
  const grid = gridFor(Math.ceil(cols / TILE));
  return { key: `ln-repro-normalize-columns-${rows}x${cols}`, grid, code, ...FORWARD_BINDINGS };
}

const FORWARD_BINDINGS = {
  inputs: ['x', 'gain', 'bias'],
  outputs: ['y', 'mean', 'rstd', 'variance'],
  params: ['epsilon'],
} as const;

/** center false (RMSNorm) with axis 1 only, as the JavaScript kernel. */
function checkCenter(kernel: string, { axis, center = true }: NormalizeAttrs): boolean {
  if (!center && axis !== 1) throw new Error(`${kernel}: center false takes axis 1 only`);
  return center;
}

/** Inputs x [n, d], gain [d], bias [d]; outputs y, mean, rstd, variance (stats [n, 1] or [1, d]). */
export function normalizeForward(
  backend: WebgpuBackend,
  [x, gain, bias]: tf.TensorInfo[],
  attrs: NormalizeAttrs,
): tf.TensorInfo[] {
  const { axis, epsilon } = attrs;
  const center = checkCenter(NORMALIZE, attrs);
  const [rows, cols] = x.shape;
  const shader = axis === 1 ? forwardRowsShader(rows, cols, center) : forwardColumnsShader(rows, cols);
  const stats = axis === 1 ? [rows, 1] : [1, cols];
  return dispatch(backend, shader, [x, gain, bias], [x.shape, stats, stats, stats], [epsilon]);
}

/**
 * WGSL: layer norm's dx for row r (a workgroup), and dgain, dbias for a tile of columns (a workgroup). Without
 * re-centering (RMSNorm) mean(dxhat) is left out (the saved mean is 0).
 */
const rowAndColumnGrads = (center: boolean) => `fn rowGrad(r: u32, t: u32) {
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
  let m1 = ${center ? 'workgroupSum(s1, t) / f32(COLS)' : '0.0'};
  let m2 = workgroupSum(s2, t) / f32(COLS);
  for (var j = t; j < COLS; j += WG) {
    dx[base + j] = rs * (dy[base + j] * gain[j] - m1 - (x[base + j] - mu) * rs * m2);
  }
}
fn columnGrads(tile: u32, t: u32) {
  let j = tileColumn(tile, t);
  let jj = min(j, COLS - 1u);
  var dg = 0.0;
  var db = 0.0;
  for (var r = t / TILE; r < ROWS; r += TILE) {
    let d = dy[r * COLS + jj];
    dg += d * (x[r * COLS + jj] - mean[r]) * rstd[r];
    db += d;
  }
  let g = columnSum(dg, t);
  let b = columnSum(db, t);
  if (j < COLS && t < TILE) { dgain[j] = g; dbias[j] = b; }
}`;

function backwardRowsShader(rows: number, cols: number, center: boolean): Shader {
  const code = `${dims(rows, cols)}
${workgroupSum(WG)}
${TILE_HEADER}
${rowAndColumnGrads(center)}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let g = flatGroup(wg);
  if (g < ROWS) { rowGrad(g, t); } else if (g < ROWS + TILES) { columnGrads(g - ROWS, t); }
}`;
  const groups = rows + Math.ceil(cols / TILE);
  const key = `ln-repro-normalize-grad-rows-${rows}x${cols}${center ? '' : '-rms'}`;
  return { key, grid: gridFor(groups), code, ...BACKWARD_BINDINGS };
}

function backwardColumnsShader(rows: number, cols: number): Shader {
  // Along the batch: mean(dxhat) = gain * dbias / n and mean(dxhat * xhat) = gain * dgain / n.
  const code = `${dims(rows, cols)}
${TILE_HEADER}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
${TILE_START}
  let mu = mean[jj];
  let rs = rstd[jj];
  var dg = 0.0;
  var db = 0.0;
  for (var r = t / TILE; r < ROWS; r += TILE) {
    let d = dy[r * COLS + jj];
    dg += d * (x[r * COLS + jj] - mu) * rs;
    db += d;
  }
  let g = columnSum(dg, t);
  let b = columnSum(db, t);
  if (j >= COLS) { return; }
  if (t < TILE) { dgain[j] = g; dbias[j] = b; }
  let a = rs * gain[j];
  let bm = b / f32(ROWS);
  let c = rs * g / f32(ROWS);
  for (var r = t / TILE; r < ROWS; r += TILE) {
    let i = r * COLS + j;
    dx[i] = a * (dy[i] - bm - (x[i] - mu) * c);
  }
}`;
  const grid = gridFor(Math.ceil(cols / TILE));
  return { key: `ln-repro-normalize-grad-columns-${rows}x${cols}`, grid, code, ...BACKWARD_BINDINGS };
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
  attrs: NormalizeAttrs,
): tf.TensorInfo[] {
  const center = checkCenter(NORMALIZE_GRAD, attrs);
  const [rows, cols] = inputs[0].shape;
  const shader = attrs.axis === 1 ? backwardRowsShader(rows, cols, center) : backwardColumnsShader(rows, cols);
  return dispatch(backend, shader, inputs, [[rows, cols], [cols], [cols]]);
}
