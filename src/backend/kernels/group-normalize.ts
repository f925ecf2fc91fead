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

/** Channel c's group, for the channels of gain [C]; the values per group and example (positions * C / groups). */
function layout(cols: number, channels: number, groups: number) {
  if (channels % groups !== 0 || cols % channels !== 0)
    throw new Error(`${GROUP_NORMALIZE}: ${groups} groups, ${channels} channels, ${cols} values a row do not divide`);
  const size = channels / groups;
  const groupOf = Int32Array.from({ length: channels }, (_, c) => Math.floor(c / size));
  return { groupOf, count: (cols / channels) * size };
}

/** Inputs x [n, P * C], gain [C], bias [C]. Outputs y; mean, rstd = 1/sqrt(var + eps), biased variance [n, groups]. */
export const groupNormalizeKernel: JsKernel<GroupNormalizeAttrs> = {
  name: GROUP_NORMALIZE,
  inputs: ['x', 'gain', 'bias'],
  outputShapes: ([x], { groups }) => [x, [x[0], groups], [x[0], groups], [x[0], groups]],
  compute([x, gain, bias], [y, mean, rstd, variance], [[rows, cols], [channels]], { groups, epsilon }) {
    const { groupOf, count } = layout(cols, channels, groups);
    const s = new Float64Array(groups);
    const q = new Float64Array(groups);
    for (let r = 0, base = 0; r < rows; r++, base += cols) {
      s.fill(0);
      q.fill(0);
      for (let i = base, c = 0; i < base + cols; i++, c = c + 1 === channels ? 0 : c + 1) s[groupOf[c]] += x[i];
      for (let k = 0; k < groups; k++) s[k] /= count;
      for (let i = base, c = 0; i < base + cols; i++, c = c + 1 === channels ? 0 : c + 1) {
        const d = x[i] - s[groupOf[c]];
        q[groupOf[c]] += d * d;
      }
      const o = r * groups;
      for (let k = 0; k < groups; k++) {
        mean[o + k] = s[k];
        variance[o + k] = q[k] / count;
        q[k] = 1 / Math.sqrt(q[k] / count + epsilon); // now rstd
        rstd[o + k] = q[k];
      }
      for (let i = base, c = 0; i < base + cols; i++, c = c + 1 === channels ? 0 : c + 1) {
        const k = groupOf[c];
        y[i] = (x[i] - s[k]) * q[k] * gain[c] + bias[c];
      }
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
    const { groupOf, count } = layout(cols, channels, groups);
    const dgain = new Float64Array(channels);
    const dbias = new Float64Array(channels);
    const s1 = new Float64Array(groups); // sum of dxhat
    const s2 = new Float64Array(groups); // sum of dxhat * xhat
    for (let r = 0, base = 0; r < rows; r++, base += cols) {
      const o = r * groups;
      s1.fill(0);
      s2.fill(0);
      for (let i = base, c = 0; i < base + cols; i++, c = c + 1 === channels ? 0 : c + 1) {
        const k = groupOf[c];
        const d = dy[i];
        const h = (x[i] - mean[o + k]) * rstd[o + k];
        const dh = d * gain[c];
        s1[k] += dh;
        s2[k] += dh * h;
        dgain[c] += d * h;
        dbias[c] += d;
      }
      for (let k = 0; k < groups; k++) {
        s1[k] /= count;
        s2[k] /= count;
      }
      for (let i = base, c = 0; i < base + cols; i++, c = c + 1 === channels ? 0 : c + 1) {
        const k = groupOf[c];
        const rs = rstd[o + k];
        dx[i] = rs * (dy[i] * gain[c] - s1[k] - (x[i] - mean[o + k]) * rs * s2[k]);
      }
    }
    dgainOut.set(dgain);
    dbiasOut.set(dbias);
  },
};
