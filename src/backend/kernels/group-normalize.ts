// Fused group normalization (Wu & He 2018) forward and backward: per example, statistics over each group of channels
// at every position, then a gain and a bias per channel. Inputs are [batch, positions * channels] with the channel
// fastest (an NHWC tensor flattened per example), so one group is `channels / groups` consecutive values at each
// position. Layer norm's row kernel (normalize.ts) with the row split into groups; the same float64 sums, and the
// backward pass recomputes xhat from x and the saved statistics.
import type { JsKernel } from './js-kernel';

export const GROUP_NORMALIZE = 'LnReproGroupNormalize';
export const GROUP_NORMALIZE_GRAD = 'LnReproGroupNormalizeGrad';

export interface GroupNormalizeAttrs {
  /** Groups of channels; it divides the channel count (gain's length). */
  groups: number;
  epsilon: number;
}

/** The values a row holds per position (the channels) and per group and example (positions * channels / groups). */
function layout(cols: number, channels: number, groups: number) {
  if (channels % groups !== 0 || cols % channels !== 0)
    throw new Error(`${GROUP_NORMALIZE}: ${groups} groups, ${channels} channels, ${cols} values a row do not divide`);
  const size = channels / groups;
  return { positions: cols / channels, size, count: (cols / channels) * size };
}

/**
 * Calls f(k, from, to) for each run of one group's values in a row: at each position, group k's `size` consecutive
 * channels from index `from` (the channel of `from` is from - base - p * channels).
 */
function eachRun(
  base: number,
  positions: number,
  groups: number,
  size: number,
  f: (k: number, from: number, to: number) => void,
) {
  for (let p = 0, i = base; p < positions; p++) for (let k = 0; k < groups; k++, i += size) f(k, i, i + size);
}

/** Inputs x [n, P * C], gain [C], bias [C]. Outputs y; mean, rstd = 1/sqrt(var + eps), biased variance [n, groups]. */
export const groupNormalizeKernel: JsKernel<GroupNormalizeAttrs> = {
  name: GROUP_NORMALIZE,
  inputs: ['x', 'gain', 'bias'],
  outputShapes: ([x], { groups }) => [x, [x[0], groups], [x[0], groups], [x[0], groups]],
  compute([x, gain, bias], [y, mean, rstd, variance], [[rows, cols], [channels]], { groups, epsilon }) {
    const { positions, size, count } = layout(cols, channels, groups);
    const s = new Float64Array(groups);
    const q = new Float64Array(groups);
    for (let r = 0, base = 0; r < rows; r++, base += cols) {
      s.fill(0);
      q.fill(0);
      eachRun(base, positions, groups, size, (k, from, to) => {
        let t = 0;
        for (let i = from; i < to; i++) t += x[i];
        s[k] += t;
      });
      for (let k = 0; k < groups; k++) s[k] /= count;
      eachRun(base, positions, groups, size, (k, from, to) => {
        const mu = s[k];
        let t = 0;
        for (let i = from; i < to; i++) t += (x[i] - mu) * (x[i] - mu);
        q[k] += t;
      });
      const o = r * groups;
      for (let k = 0; k < groups; k++) {
        mean[o + k] = s[k];
        variance[o + k] = q[k] / count;
        q[k] = 1 / Math.sqrt(q[k] / count + epsilon); // now rstd
        rstd[o + k] = q[k];
      }
      eachRun(base, positions, groups, size, (k, from, to) => {
        const [mu, rs, c0] = [s[k], q[k], (from - base) % channels];
        for (let i = from, c = c0; i < to; i++, c++) y[i] = (x[i] - mu) * rs * gain[c] + bias[c];
      });
    }
  },
};

/**
 * Inputs dy, x [n, P * C], mean, rstd [n, groups], gain [C]. Outputs dx, dgain [C], dbias [C]: with xhat and
 * dxhat = dy * gain, per example and group (means over the group's P * C / groups values)
 *   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)); dgain = sum dy * xhat, dbias = sum dy (over rows
 *   and positions).
 */
export const groupNormalizeGradKernel: JsKernel<GroupNormalizeAttrs> = {
  name: GROUP_NORMALIZE_GRAD,
  inputs: ['dy', 'x', 'mean', 'rstd', 'gain'],
  outputShapes: ([dy, , , , gain]) => [dy, gain, gain],
  compute([dy, x, mean, rstd, gain], [dx, dgainOut, dbiasOut], [[rows, cols], , , , [channels]], { groups }) {
    const { positions, size, count } = layout(cols, channels, groups);
    const dgain = new Float64Array(channels);
    const dbias = new Float64Array(channels);
    const s1 = new Float64Array(groups); // mean of dxhat
    const s2 = new Float64Array(groups); // mean of dxhat * xhat
    for (let r = 0, base = 0; r < rows; r++, base += cols) {
      const o = r * groups;
      s1.fill(0);
      s2.fill(0);
      eachRun(base, positions, groups, size, (k, from, to) => {
        const [mu, rs, c0] = [mean[o + k], rstd[o + k], (from - base) % channels];
        let [t1, t2] = [0, 0];
        for (let i = from, c = c0; i < to; i++, c++) {
          const d = dy[i];
          const h = (x[i] - mu) * rs;
          const dh = d * gain[c];
          t1 += dh;
          t2 += dh * h;
          dgain[c] += d * h;
          dbias[c] += d;
        }
        s1[k] += t1;
        s2[k] += t2;
      });
      for (let k = 0; k < groups; k++) {
        s1[k] /= count;
        s2[k] /= count;
      }
      eachRun(base, positions, groups, size, (k, from, to) => {
        const [mu, rs, m1, m2, c0] = [mean[o + k], rstd[o + k], s1[k], s2[k], (from - base) % channels];
        for (let i = from, c = c0; i < to; i++, c++) dx[i] = rs * (dy[i] * gain[c] - m1 - (x[i] - mu) * rs * m2);
      });
    }
    dgainOut.set(dgain);
    dbiasOut.set(dbias);
  },
};
