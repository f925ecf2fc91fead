// One fused Adam update per variable: one pass over param, grad and both moments instead of ~10 kernels.
import type { JsKernel } from './js-kernel';

export const ADAM = 'LnReproAdam';

export interface AdamAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t at this step t (bias corrections). */
  correction1: number;
  correction2: number;
}

/**
 * Kingma & Ba (2015), in the form tfjs' AdamOptimizer computes it:
 *   m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g^2;  p' = p - lr * (m' / c1) / (sqrt(v' / c2) + eps).
 * Inputs param, grad, m, v (same shape); output the new param in a new buffer (the wasm backend caches packed
 * weights by buffer, so parameters must never change in place). m and v are updated in place: they are the
 * optimizer's own slot variables, which nothing else reads, and this saves two of seven memory streams.
 */
export const adamKernel: JsKernel<AdamAttrs> = {
  name: ADAM,
  inputs: ['param', 'grad', 'm', 'v'],
  outputShapes: ([p]) => [p],
  compute([p, g, m, v], [pOut], _shapes, { learningRate, beta1, beta2, epsilon, correction1, correction2 }) {
    const a1 = 1 - beta1;
    const a2 = 1 - beta2;
    const step = learningRate / correction1;
    const c2 = 1 / correction2;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i];
      const mi = beta1 * m[i] + a1 * gi;
      const vi = beta2 * v[i] + a2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      pOut[i] = p[i] - (step * mi) / (Math.sqrt(vi * c2) + epsilon);
    }
  },
};
