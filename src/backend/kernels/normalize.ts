// Fused normalize-scale-shift forward and backward (the paper's section 3; Ioffe & Szegedy 2015 for batch norm) as a few passes over memory.
// Statistics are accumulated in float64 (JavaScript numbers); inputs and outputs are float32. The forward pass
// keeps no normalized copy of x: the backward pass recomputes xhat = (x - mean) * rstd from x and the stats,
// which costs less than writing and re-reading one more [n, d] buffer.
import type { JsKernel } from './js-kernel';

export const NORMALIZE = 'LnReproNormalize';
export const NORMALIZE_GRAD = 'LnReproNormalizeGrad';

export interface NormalizeAttrs {
  /** 1: per row (layer norm); 0: per column (batch norm). */
  axis: 0 | 1;
  epsilon: number;
  /**
   * false: no re-centering (RMSNorm, Zhang & Sennrich 2019; axis 1 only): the mean is taken as 0, the "variance"
   * is the mean square, and the backward pass drops the mean(dxhat) term. Unset: true.
   */
  center?: boolean;
}

/** [rows, cols] -> stats shape with kept dims: [rows, 1] for axis 1, [1, cols] for axis 0. */
const statsShape = ([rows, cols]: number[], axis: 0 | 1) => (axis === 1 ? [rows, 1] : [1, cols]);

function forwardRows(
  x: Float32Array,
  gain: Float32Array,
  bias: Float32Array,
  y: Float32Array,
  stats: Float32Array[],
  rows: number,
  cols: number,
  epsilon: number,
  center = true,
) {
  const [mean, rstd, variance] = stats;
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    let s = 0;
    if (center) for (let i = base; i < base + cols; i++) s += x[i];
    const mu = s / cols;
    let q = 0;
    for (let i = base; i < base + cols; i++) {
      const c = x[i] - mu;
      q += c * c;
    }
    const rs = 1 / Math.sqrt(q / cols + epsilon);
    for (let i = base, j = 0; j < cols; i++, j++) y[i] = (x[i] - mu) * rs * gain[j] + bias[j];
    mean[r] = mu;
    rstd[r] = rs;
    variance[r] = q / cols;
  }
}

function forwardColumns(
  x: Float32Array,
  gain: Float32Array,
  bias: Float32Array,
  y: Float32Array,
  stats: Float32Array[],
  rows: number,
  cols: number,
  epsilon: number,
) {
  const [mean, rstd, variance] = stats;
  const mu = new Float64Array(cols);
  const q = new Float64Array(cols);
  for (let i = 0, r = 0; r < rows; r++) for (let j = 0; j < cols; j++, i++) mu[j] += x[i];
  for (let j = 0; j < cols; j++) mu[j] /= rows;
  for (let i = 0, r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++, i++) {
      const c = x[i] - mu[j];
      q[j] += c * c;
    }
  }
  const scale = new Float64Array(cols); // rstd * gain
  for (let j = 0; j < cols; j++) {
    const rs = 1 / Math.sqrt(q[j] / rows + epsilon);
    mean[j] = mu[j];
    rstd[j] = rs;
    variance[j] = q[j] / rows;
    scale[j] = rs * gain[j];
  }
  for (let i = 0, r = 0; r < rows; r++) for (let j = 0; j < cols; j++, i++) y[i] = (x[i] - mu[j]) * scale[j] + bias[j];
}

/** Inputs x [n, d], gain [d], bias [d]. Outputs y [n, d]; mean, rstd = 1/sqrt(var + eps), biased variance. */
export const normalizeKernel: JsKernel<NormalizeAttrs> = {
  name: NORMALIZE,
  inputs: ['x', 'gain', 'bias'],
  outputShapes: ([x], { axis }) => [x, statsShape(x, axis), statsShape(x, axis), statsShape(x, axis)],
  compute([x, gain, bias], [y, ...stats], [[rows, cols]], { axis, epsilon, center = true }) {
    if (!center && axis !== 1) throw new Error(`${NORMALIZE}: center false takes axis 1 only`);
    if (axis === 1) forwardRows(x, gain, bias, y, stats, rows, cols, epsilon, center);
    else forwardColumns(x, gain, bias, y, stats, rows, cols, epsilon);
  },
};

function backwardRows(
  dy: Float32Array,
  x: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  gain: Float32Array,
  dx: Float32Array,
  dgain: Float64Array,
  dbias: Float64Array,
  rows: number,
  cols: number,
  center = true,
) {
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    const mu = mean[r];
    const rs = rstd[r];
    let s1 = 0; // sum of dxhat
    let s2 = 0; // sum of dxhat * xhat
    for (let i = base, j = 0; j < cols; i++, j++) {
      const d = dy[i];
      const h = (x[i] - mu) * rs;
      const dh = d * gain[j];
      s1 += dh;
      s2 += dh * h;
      dgain[j] += d * h;
      dbias[j] += d;
    }
    const m1 = center ? s1 / cols : 0;
    const m2 = s2 / cols;
    for (let i = base, j = 0; j < cols; i++, j++) dx[i] = rs * (dy[i] * gain[j] - m1 - (x[i] - mu) * rs * m2);
  }
}

function backwardColumns(
  dy: Float32Array,
  x: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  gain: Float32Array,
  dx: Float32Array,
  dgain: Float64Array,
  dbias: Float64Array,
  rows: number,
  cols: number,
) {
  for (let i = 0, r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++, i++) {
      const d = dy[i];
      dgain[j] += d * (x[i] - mean[j]) * rstd[j];
      dbias[j] += d;
    }
  }
  // Along the batch: mean(dxhat) = gain * dbias / n and mean(dxhat * xhat) = gain * dgain / n, so
  // dx = rstd * gain * (dy - dbias / n - xhat * dgain / n).
  const a = new Float64Array(cols); // rstd * gain
  const b = new Float64Array(cols); // dbias / n
  const c = new Float64Array(cols); // rstd * dgain / n   (xhat * dgain / n = (x - mean) * c)
  for (let j = 0; j < cols; j++) {
    a[j] = rstd[j] * gain[j];
    b[j] = dbias[j] / rows;
    c[j] = (rstd[j] * dgain[j]) / rows;
  }
  for (let i = 0, r = 0; r < rows; r++)
    for (let j = 0; j < cols; j++, i++) dx[i] = a[j] * (dy[i] - b[j] - (x[i] - mean[j]) * c[j]);
}

/**
 * Inputs dy, x [n, d], mean, rstd (stats shape), gain [d]. Outputs dx [n, d], dgain [d], dbias [d]:
 *   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = dy * gain, means along `axis`;
 *   dgain = sum over rows of dy * xhat; dbias = sum over rows of dy.
 */
export const normalizeGradKernel: JsKernel<NormalizeAttrs> = {
  name: NORMALIZE_GRAD,
  inputs: ['dy', 'x', 'mean', 'rstd', 'gain'],
  outputShapes: ([dy]) => [dy, [dy[1]], [dy[1]]],
  compute([dy, x, mean, rstd, gain], [dx, dgainOut, dbiasOut], [[rows, cols]], { axis, center = true }) {
    const dgain = new Float64Array(cols);
    const dbias = new Float64Array(cols);
    if (axis === 1) backwardRows(dy, x, mean, rstd, gain, dx, dgain, dbias, rows, cols, center);
    else backwardColumns(dy, x, mean, rstd, gain, dx, dgain, dbias, rows, cols);
    dgainOut.set(dgain);
    dbiasOut.set(dbias);
  },
};
