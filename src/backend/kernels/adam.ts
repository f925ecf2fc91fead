// One fused Adam update per variable: one pass over param, grad and both moments instead of ~10 kernels.
import type { JsKernel } from './js-kernel';
import { instantiateSimdAdam, type SimdAdam, type WasmMemory } from './simd-adam';

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

const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

let simd: { memory: WasmMemory; run: SimdAdam } | undefined;
/** One instance per memory, kept across on/off switches so that V8 optimizes its code once. */
const instances = new WeakMap<WasmMemory, SimdAdam>();

/**
 * Runs the update as a WebAssembly SIMD loop on tensors living in `memory` (the wasm backend's heap), or,
 * with no memory, always as the JavaScript loop. The SIMD loop works in float32 (the JavaScript loop in
 * float64, rounded to float32 when stored) and takes terms that would be subnormal as zero: they agree to
 * about 1e-7 relative. False when SIMD is unavailable.
 */
export function useSimdAdam(memory: WasmMemory | undefined): boolean {
  simd = undefined;
  if (!memory) return false;
  let run = instances.get(memory);
  if (!run) {
    run = instantiateSimdAdam(memory);
    if (!run) return false;
    instances.set(memory, run);
  }
  simd = { memory, run };
  return true;
}

/** The update's constants at one step: the betas, their complements, the step size and 1 / (1 - beta2^t). */
export interface Coefficients {
  beta1: number;
  a1: number;
  beta2: number;
  a2: number;
  step: number;
  c2: number;
  epsilon: number;
}

/** The constants of the update that `attrs` describes. */
export function adamCoefficients({
  learningRate,
  beta1,
  beta2,
  epsilon,
  correction1,
  correction2,
}: AdamAttrs): Coefficients {
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const step = learningRate / correction1;
  const c2 = 1 / correction2;
  return { beta1, a1, beta2, a2, step, c2, epsilon };
}

/**
 * Updates the leading elements (a multiple of four) with the SIMD loop, where it is on and every buffer lies in
 * its memory. Returns how many elements it updated (0 when it did not run).
 */
function simdUpdate([p, g, m, v]: Float32Array[], [pOut, mOut, vOut]: Float32Array[], k: Coefficients): number {
  const heap = simd?.memory.buffer;
  if (!simd || ![p, g, m, v, pOut, mOut, vOut].every((a) => a.buffer === heap)) return 0;
  const { beta1, a1, beta2, a2, step, c2, epsilon } = k;
  // Thresholds below which a term would be a subnormal float32 (see simd-adam.ts), with 1% to spare.
  const tiny = 1.01 * FLOAT32_MIN_NORMAL;
  const [tgm, tgv, tm, tv] = [tiny / a1, Math.sqrt(tiny / a2), tiny / Math.min(1, step, beta1), tiny / beta2];
  simd.run(
    p.byteOffset,
    g.byteOffset,
    m.byteOffset,
    v.byteOffset,
    mOut.byteOffset,
    vOut.byteOffset,
    pOut.byteOffset,
    p.length,
    beta1,
    a1,
    beta2,
    a2,
    step,
    c2,
    epsilon,
    tgm,
    tgv,
    tm,
    tv,
  );
  return p.length - (p.length % 4); // the SIMD loop does four at a time; the rest in JavaScript
}

/** Updates the elements from `start` on with the JavaScript loop. */
function jsUpdate([p, g, m, v]: Float32Array[], [pOut, mOut, vOut]: Float32Array[], start: number, k: Coefficients) {
  const { beta1, a1, beta2, a2, step, c2, epsilon } = k;
  for (let i = start; i < p.length; i++) {
    const gi = g[i];
    const mi = beta1 * m[i] + a1 * gi;
    const vi = beta2 * v[i] + a2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    pOut[i] = p[i] - (step * mi) / (Math.sqrt(vi * c2) + epsilon);
  }
}

/**
 * Kingma & Ba (2015), in the form tfjs' AdamOptimizer computes it:
 *   m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g^2;  p' = p - lr * (m' / c1) / (sqrt(v' / c2) + eps).
 * Inputs param, grad, m, v (same shape); outputs p', m', v', each in a new buffer. Nothing is updated in place:
 * the wasm backend caches packed weights by buffer, and its Identity (as cpu's) shares buffers, so a tensor
 * cloned from a moment would change with it.
 */
export const adamKernel: JsKernel<AdamAttrs> = {
  name: ADAM,
  inputs: ['param', 'grad', 'm', 'v'],
  outputShapes: ([p]) => [p, p, p],
  compute(inputs, outputs, _shapes, attrs) {
    const k = adamCoefficients(attrs);
    jsUpdate(inputs, outputs, simdUpdate(inputs, outputs, k), k);
  },
};
