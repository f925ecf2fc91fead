// Group normalization's fused forward and backward (src/backend/kernels/group-normalize.ts has the formulas) as one
// WGSL dispatch each, laid out as the rows normalize kernels (normalize.ts) are. x [rows, P * C] with the channel
// fastest is a [rows * P, C] matrix, and group k of row r is its SIZE = C / groups channels k * SIZE.. at each of
// the row's P positions. Forward: one workgroup per (row, group) reduces the group's P * SIZE values in workgroup
// memory, two passes about a pivot (the group's first value) as layer norm's rows kernel. Backward: one workgroup
// per (row, group) for dx, and after them one per tile of 16 channels for dgain and dbias, sums over every row and
// position (16 threads a channel splitting the rows * P values), so that no thread loops over a whole batch.
// Arithmetic is float32 (WGSL has no float64).
import type * as tf from '@tensorflow/tfjs';
import type { WebgpuBackend } from '../../internals';
import { GROUP_NORMALIZE, GROUP_NORMALIZE_GRAD, type GroupNormalizeAttrs } from '../group-normalize';
import { dispatch, FLAT_GROUP, gridFor, workgroupSum, type Shader } from './dispatch';
import { TILE, TILE_HEADER, WG } from './normalize';

interface Layout {
  rows: number;
  cols: number;
  channels: number;
  groups: number;
}

/** The layout of x [rows, cols] for gain [channels]; throws where the groups or the channels do not divide. */
function layoutOf(kernel: string, [rows, cols]: number[], channels: number, groups: number): Layout {
  if (channels % groups !== 0 || cols % channels !== 0)
    throw new Error(`${kernel}: ${groups} groups, ${channels} channels, ${cols} values a row do not divide`);
  return { rows, cols, channels, groups };
}

const key = (name: string, { rows, cols, channels, groups }: Layout) =>
  `ln-repro-${name}-${rows}x${cols}-c${channels}-g${groups}`;

/** WGSL constants; `groupIndex(r, k, e)` is the index in x of value e of group k of row r (e < COUNT). */
const dims = ({ rows, cols, channels, groups }: Layout) => `const ROWS = ${rows}u;
const COLS = ${cols}u;
const CHANNELS = ${channels}u;
const GROUPS = ${groups}u;
const SIZE = ${channels / groups}u;
const POSITIONS = ${cols / channels}u;
const COUNT = ${(cols / channels) * (channels / groups)}u;
const WG = ${WG}u;
const TILE = ${TILE}u;
const TILES = ${Math.ceil(channels / TILE)}u;
fn groupIndex(r: u32, k: u32, e: u32) -> u32 {
  let p = e / SIZE;
  return r * COLS + p * CHANNELS + k * SIZE + (e - p * SIZE);
}`;

const FORWARD = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let g = flatGroup(wg);
  if (g >= ROWS * GROUPS) { return; }
  let r = g / GROUPS;
  let k = g % GROUPS;
  let pivot = x[groupIndex(r, k, 0u)];
  var s = 0.0;
  for (var e = t; e < COUNT; e += WG) { s += x[groupIndex(r, k, e)] - pivot; }
  let shift = workgroupSum(s, t) / f32(COUNT); // mean - pivot
  var q = 0.0;
  for (var e = t; e < COUNT; e += WG) { let c = x[groupIndex(r, k, e)] - pivot - shift; q += c * c; }
  let v = workgroupSum(q, t) / f32(COUNT);
  let rs = inverseSqrt(v + epsilon());
  for (var e = t; e < COUNT; e += WG) {
    let i = groupIndex(r, k, e);
    let c = k * SIZE + e % SIZE;
    y[i] = (x[i] - pivot - shift) * rs * gain[c] + bias[c];
  }
  if (t == 0u) { mean[g] = pivot + shift; rstd[g] = rs; variance[g] = v; }
}`;

function forwardShader(layout: Layout): Shader {
  return {
    key: key('group-normalize', layout),
    grid: gridFor(layout.rows * layout.groups),
    code: `${dims(layout)}\n${workgroupSum(WG)}\n${FLAT_GROUP}\n${FORWARD}`,
    inputs: ['x', 'gain', 'bias'],
    outputs: ['y', 'mean', 'rstd', 'variance'],
    params: ['epsilon'],
  };
}

/** Inputs x [n, P * C], gain [C], bias [C]; outputs y, mean, rstd, variance ([n, groups]). */
export function groupNormalizeForward(
  backend: WebgpuBackend,
  [x, gain, bias]: tf.TensorInfo[],
  { groups, epsilon }: GroupNormalizeAttrs,
): tf.TensorInfo[] {
  const layout = layoutOf(GROUP_NORMALIZE, x.shape, gain.shape[0], groups);
  const stats = [layout.rows, groups];
  return dispatch(backend, forwardShader(layout), [x, gain, bias], [x.shape, stats, stats, stats], [epsilon]);
}

/** WGSL: dx for group g = r * GROUPS + k (a workgroup). */
const GROUP_GRAD = `fn groupGrad(g: u32, t: u32) {
  let r = g / GROUPS;
  let k = g % GROUPS;
  let mu = mean[g];
  let rs = rstd[g];
  var s1 = 0.0;
  var s2 = 0.0;
  for (var e = t; e < COUNT; e += WG) {
    let i = groupIndex(r, k, e);
    let dh = dy[i] * gain[k * SIZE + e % SIZE];
    s1 += dh;
    s2 += dh * (x[i] - mu) * rs;
  }
  let m1 = workgroupSum(s1, t) / f32(COUNT);
  let m2 = workgroupSum(s2, t) / f32(COUNT);
  for (var e = t; e < COUNT; e += WG) {
    let i = groupIndex(r, k, e);
    dx[i] = rs * (dy[i] * gain[k * SIZE + e % SIZE] - m1 - (x[i] - mu) * rs * m2);
  }
}`;

/** WGSL: dgain, dbias for a tile of channels (a workgroup), sums over the [ROWS * POSITIONS, CHANNELS] matrix. */
const CHANNEL_GRADS = `fn channelGrads(tile: u32, t: u32) {
  let c = tileColumn(tile, t);
  let cc = min(c, CHANNELS - 1u);
  let k = cc / SIZE;
  var dg = 0.0;
  var db = 0.0;
  for (var p = t / TILE; p < ROWS * POSITIONS; p += TILE) {
    let i = p * CHANNELS + cc;
    let s = (p / POSITIONS) * GROUPS + k;
    let d = dy[i];
    dg += d * (x[i] - mean[s]) * rstd[s];
    db += d;
  }
  let g = columnSum(dg, t);
  let b = columnSum(db, t);
  if (c < CHANNELS && t < TILE) { dgain[c] = g; dbias[c] = b; }
}`;

const BACKWARD = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let g = flatGroup(wg);
  if (g < ROWS * GROUPS) { groupGrad(g, t); } else if (g < ROWS * GROUPS + TILES) { channelGrads(g - ROWS * GROUPS, t); }
}`;

function backwardShader(layout: Layout): Shader {
  const workgroups = layout.rows * layout.groups + Math.ceil(layout.channels / TILE);
  return {
    key: key('group-normalize-grad', layout),
    grid: gridFor(workgroups),
    code: `${dims(layout)}\n${workgroupSum(WG)}\n${TILE_HEADER}\n${GROUP_GRAD}\n${CHANNEL_GRADS}\n${BACKWARD}`,
    inputs: ['dy', 'x', 'mean', 'rstd', 'gain'],
    outputs: ['dx', 'dgain', 'dbias'],
    params: [],
  };
}

/** Inputs dy, x [n, P * C], mean, rstd [n, groups], gain [C]; outputs dx [n, P * C], dgain [C], dbias [C]. */
export function groupNormalizeBackward(
  backend: WebgpuBackend,
  inputs: tf.TensorInfo[],
  { groups }: GroupNormalizeAttrs,
): tf.TensorInfo[] {
  const channels = inputs[4].shape[0];
  const layout = layoutOf(GROUP_NORMALIZE_GRAD, inputs[0].shape, channels, groups);
  return dispatch(backend, backwardShader(layout), inputs, [[layout.rows, layout.cols], [channels], [channels]]);
}
