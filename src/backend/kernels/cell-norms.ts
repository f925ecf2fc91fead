// The normalizations inside the fused recurrent cells (cells.ts), as loops over one term of a [rows, width] matrix:
// layer norm per row over a term's columns (or RMSNorm, center false: its mean taken as 0), batch norm per column over
// the live rows (Cooijmans et al.), forward and backward. Sums in float64 (JavaScript numbers), values read and written as float32. The statistics are saved by the
// forward pass and read back by the backward pass, never recomputed.

/**
 * A per-row norm of the fused cells, as the row loops and the SIMD module (simd-cells.wat) take it: 0 none, 1 layer
 * norm, 2 RMSNorm (layer norm with the mean taken as 0).
 */
export type RowNorm = 0 | 1 | 2;

/** A term: columns [col, col + width) of a matrix with `stride` values a row, rows from `base` on. */
export interface Term {
  data: Float32Array;
  base: number;
  stride: number;
  col: number;
  width: number;
}

/** Where a backward pass writes a term's gradient: like a Term, into float32 or float64 values. */
export interface Out {
  data: Float32Array | Float64Array;
  base: number;
  stride: number;
  col: number;
}

/**
 * Row r's mean, 1 / sqrt(var + eps) and biased variance over a term's columns; center false (RMSNorm): a mean of 0,
 * so that the "variance" is the mean square.
 */
export function rowMoments(t: Term, r: number, epsilon: number, center = true): [number, number, number] {
  const start = t.base + r * t.stride + t.col;
  const end = start + t.width;
  const x = t.data;
  let s = 0;
  if (center) for (let i = start; i < end; i++) s += x[i];
  const mu = s / t.width;
  let q = 0;
  for (let i = start; i < end; i++) {
    const d = x[i] - mu;
    q += d * d;
  }
  const variance = q / t.width;
  return [mu, 1 / Math.sqrt(variance + epsilon), variance];
}

/**
 * Per-column mean, rstd and biased variance of a term over the rows where `live` is 1 (`count` of them), into the
 * float32 rows mean, rstd and variance of `stats` (each `width` long, at the given offsets).
 */
export function columnMoments(
  t: Term,
  rows: number,
  live: Float32Array,
  count: number,
  epsilon: number,
  out: { stats: Float32Array; mean: number; rstd: number; variance: number },
): void {
  const { data: x, base, stride, col, width } = t;
  const sum = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    if (live[r] === 0) continue;
    const start = base + r * stride + col;
    for (let j = 0; j < width; j++) sum[j] += x[start + j];
  }
  const q = new Float64Array(width);
  for (let j = 0; j < width; j++) sum[j] /= count;
  for (let r = 0; r < rows; r++) {
    if (live[r] === 0) continue;
    const start = base + r * stride + col;
    for (let j = 0; j < width; j++) {
      const d = x[start + j] - sum[j];
      q[j] += d * d;
    }
  }
  for (let j = 0; j < width; j++) {
    const variance = q[j] / count;
    out.stats[out.mean + j] = sum[j];
    out.stats[out.rstd + j] = 1 / Math.sqrt(variance + epsilon);
    out.stats[out.variance + j] = variance;
  }
}

/**
 * Batch norm's backward along the live rows of one term: given dy (float64, [rows, width], the gradient of the
 * normalized output) and the saved column mean and rstd, writes dx = rstd g (dy - mean(dy) - xhat mean(dy xhat)) into
 * `dx` (its term's columns) and adds sum dy xhat and sum dy to dgain and dbias (float64, `width` long).
 */
export function columnBackward(
  dy: Float64Array,
  x: Term,
  dx: Out,
  rows: number,
  live: Float32Array,
  count: number,
  stats: { data: Float32Array; mean: number; rstd: number },
  gain: { data: Float32Array; at: number },
  dgain: Float64Array,
  dbias: Float64Array,
): void {
  const width = x.width;
  const { data: s, mean, rstd } = stats;
  const xhat = (r: number, j: number) => (x.data[x.base + r * x.stride + x.col + j] - s[mean + j]) * s[rstd + j];
  const sdy = new Float64Array(width);
  const sdyx = new Float64Array(width);
  for (let r = 0; r < rows; r++)
    if (live[r] !== 0)
      for (let j = 0; j < width; j++) {
        sdy[j] += dy[r * width + j];
        sdyx[j] += dy[r * width + j] * xhat(r, j);
      }
  for (let j = 0; j < width; j++) {
    dgain[j] += sdyx[j];
    dbias[j] += sdy[j];
  }
  for (let r = 0; r < rows; r++) {
    const di = dx.base + r * dx.stride + dx.col;
    for (let j = 0; j < width; j++)
      dx.data[di + j] =
        live[r] === 0
          ? 0
          : s[rstd + j] *
            gain.data[gain.at + j] *
            (dy[r * width + j] - sdy[j] / count - (xhat(r, j) * sdyx[j]) / count);
  }
}

/**
 * Layer norm's backward on row r of one term: dy (float64, from `dyAt`, `width` long) the gradient of the normalized
 * output; writes dx = rs (dy g - mean(dy g) - xhat mean(dy g xhat)) into its term's row and adds dy xhat and dy to
 * dgain and dbias. center false (RMSNorm, mu 0): without the mean(dy g) term.
 */
export function rowBackward(
  dy: Float64Array,
  dyAt: number,
  x: Term,
  dx: Out,
  r: number,
  mu: number,
  rs: number,
  gain: { data: Float32Array; at: number },
  dgain: Float64Array,
  dbias: Float64Array,
  center = true,
): void {
  const width = x.width;
  const xi = x.base + r * x.stride + x.col;
  const g = gain.data;
  let s1 = 0;
  let s2 = 0;
  for (let j = 0; j < width; j++) {
    const d = dy[dyAt + j];
    const h = (x.data[xi + j] - mu) * rs;
    const dh = d * g[gain.at + j];
    s1 += dh;
    s2 += dh * h;
    dgain[j] += d * h;
    dbias[j] += d;
  }
  const m1 = center ? s1 / width : 0;
  const m2 = s2 / width;
  const di = dx.base + r * dx.stride + dx.col;
  for (let j = 0; j < width; j++) {
    const h = (x.data[xi + j] - mu) * rs;
    dx.data[di + j] = rs * (dy[dyAt + j] * g[gain.at + j] - m1 - h * m2);
  }
}

/** How many of the first B rows `mask` marks live (not 0). */
export function liveCount(mask: Float32Array, B: number): number {
  let n = 0;
  for (let r = 0; r < B; r++) if (mask[r] !== 0) n++;
  return n;
}

/** A float64 scratch array of at least n values, reused between calls (the kernels run one at a time). */
const scratch: Float64Array[] = [];
export function scratchOf(slot: number, n: number): Float64Array {
  if (!scratch[slot] || scratch[slot].length < n) scratch[slot] = new Float64Array(n);
  const a = scratch[slot];
  a.fill(0, 0, n);
  return a;
}
