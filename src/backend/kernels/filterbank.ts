// DRAW's Gaussian filterbank (Gregor et al. 2015, section 3.2; src/models/draw/attention.ts has the equations) as one
// forward and one backward kernel for cpu and wasm: op by op it is ~35 kernels forward and ~70 backward, twice per
// glimpse, and dominated DRAW's kernel count. Values in float64 inside, float32 in and out; the backward pass
// recomputes the unnormalized filters from the parameters (cheap: 2 N side exponentials per example).
import type { JsKernel } from './js-kernel';

export const FILTERBANK = 'LnReproFilterbank';
export const FILTERBANK_GRAD = 'LnReproFilterbankGrad';

export interface FilterbankAttrs {
  /** Grid size N. */
  n: number;
  /** Image side A = B. */
  side: number;
  /** Added to each filter's normalizer (attention.ts FILTER_EPSILON). */
  epsilon: number;
}

/** One example's derived parameters: centres, stride, variance, intensity. */
function derived(p: Float32Array, b: number, { n, side }: FilterbankAttrs) {
  const at = b * 5;
  return {
    gx: ((side + 1) / 2) * (p[at] + 1),
    gy: ((side + 1) / 2) * (p[at + 1] + 1),
    variance: Math.exp(p[at + 2]),
    delta: ((side - 1) / (n - 1)) * Math.exp(p[at + 3]),
    gamma: Math.exp(p[at + 4]),
  };
}

/** The offset of grid row i from the centre, in strides: i + 1 - N/2 - 0.5. */
const offset = (i: number, n: number) => i + 1 - n / 2 - 0.5;

/** Unnormalized filter row e[a] = exp(-(a + 1 - mu)^2 / (2 var)) into e; returns its sum. */
function row(e: Float64Array, mu: number, variance: number, side: number): number {
  let s = 0;
  for (let a = 0; a < side; a++) {
    const d = a + 1 - mu;
    e[a] = Math.exp(-(d * d) / (2 * variance));
    s += e[a];
  }
  return s;
}

/** Inputs params [b, 5]; outputs F_X [b, N, side], F_Y [b, N, side], gamma [b, 1]. */
export const filterbankKernel: JsKernel<FilterbankAttrs> = {
  name: FILTERBANK,
  inputs: ['params'],
  outputShapes: ([[b]], { n, side }) => [
    [b, n, side],
    [b, n, side],
    [b, 1],
  ],
  compute([p], [fx, fy, gammaOut], [[batch]], attrs) {
    const { n, side, epsilon } = attrs;
    const e = new Float64Array(side);
    for (let b = 0; b < batch; b++) {
      const q = derived(p, b, attrs);
      gammaOut[b] = q.gamma;
      for (let i = 0; i < n; i++) {
        for (const [f, g] of [
          [fx, q.gx],
          [fy, q.gy],
        ] as const) {
          const s = row(e, g + offset(i, n) * q.delta, q.variance, side) + epsilon;
          const base = (b * n + i) * side;
          for (let a = 0; a < side; a++) f[base + a] = e[a] / s;
        }
      }
    }
  },
};

/**
 * One bank's backward for example b: with F_a = e_a / (S + eps), dE_a = (dF_a - sum_k dF_k F_k) / (S + eps); then
 * d mu_i = sum_a dE_a e_a (a + 1 - mu_i) / var and d var = sum_a dE_a e_a (a + 1 - mu_i)^2 / (2 var^2). Returns the
 * sums over rows of d mu_i (the centre's gradient), of d mu_i offset_i (the stride's) and d var.
 */
function bankBackward(df: Float32Array, b: number, g: number, q: ReturnType<typeof derived>, attrs: FilterbankAttrs) {
  const { n, side, epsilon } = attrs;
  const e = new Float64Array(side);
  let [dCentre, dDelta, dVar] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const mu = g + offset(i, n) * q.delta;
    const s = row(e, mu, q.variance, side) + epsilon;
    const base = (b * n + i) * side;
    let dot = 0;
    for (let a = 0; a < side; a++) dot += df[base + a] * (e[a] / s);
    let dMu = 0;
    for (let a = 0; a < side; a++) {
      const dE = ((df[base + a] - dot) / s) * e[a];
      const d = a + 1 - mu;
      dMu += (dE * d) / q.variance;
      dVar += (dE * d * d) / (2 * q.variance * q.variance);
    }
    dCentre += dMu;
    dDelta += dMu * offset(i, n);
  }
  return { dCentre, dDelta, dVar };
}

/** Inputs params, dF_X, dF_Y, dgamma; output dparams [b, 5]. */
export const filterbankGradKernel: JsKernel<FilterbankAttrs> = {
  name: FILTERBANK_GRAD,
  inputs: ['params', 'dfx', 'dfy', 'dgamma'],
  outputShapes: ([p]) => [p],
  compute([p, dfx, dfy, dgamma], [dp], [[batch]], attrs) {
    const { side } = attrs;
    for (let b = 0; b < batch; b++) {
      const q = derived(p, b, attrs);
      const x = bankBackward(dfx, b, q.gx, q, attrs);
      const y = bankBackward(dfy, b, q.gy, q, attrs);
      dp[b * 5] = ((side + 1) / 2) * x.dCentre;
      dp[b * 5 + 1] = ((side + 1) / 2) * y.dCentre;
      dp[b * 5 + 2] = (x.dVar + y.dVar) * q.variance;
      dp[b * 5 + 3] = (x.dDelta + y.dDelta) * q.delta;
      dp[b * 5 + 4] = dgamma[b] * q.gamma;
    }
  },
};
