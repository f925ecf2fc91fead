// The fused recurrent cells (after Haste): a cell's step as its matrix products plus one fused kernel forward and one
// backward (src/backend/kernels/cells.ts), with the gradient by hand instead of tfjs autodiff through every gate.
//
// - fusedSequence: a whole sequence known in advance (sequential MNIST, retrieval's captions): X W_x for all steps as
//   one product, then per step h W_h and the forward kernel; backward, per step the backward kernel and one product
//   (through W_h^T), and W_h's gradient as one product over all steps at the end (W_x's is autodiff's, one product;
//   without a norm the LSTM's two weight gradients are one product, [X | H_prev]^T dpre). Without a gradient to
//   record (evaluation, batch norm's population pass) it goes step by step, x_t W_x with the rest of the step, so that
//   no [steps * batch, G] product is held.
// - fusedStep: one step whose input depends on the step before (DRAW): both products, the kernel; backward the kernel
//   and four products.
// Which cells: every kind and norm whose kernels the backend has (cpu and wasm, fast paths on, LN_REPRO_FUSED_CELLS
// not 0) and whose norms are fusable in this mode (batch norm's evaluation runs the op-by-op cell). On webgpu and the
// native TensorFlow backend the cells run op by op.
import * as tf from '@tensorflow/tfjs';
import { recordingGradients } from '../../backend/gradients';
import { customOp, type Gradient } from '../../backend/internals';
import {
  GRU_BACKWARD,
  GRU_FORWARD,
  LSTM_BACKWARD,
  LSTM_FORWARD,
  type CellAttrs,
  type CellNorm,
} from '../../backend/kernels/cells';
import { liveCount } from '../../backend/kernels/cell-norms';
import { hasKernel, runKernel } from '../../backend/kernels/js-kernel';
import type { FusedNorm } from '../../norm/types';
import type { CellState } from './types';

/** What the fused ops need of a cell: its sizes, its weights as the two products take them, its packed vector. */
export interface FusedCell {
  kind: 'lstm' | 'gru';
  norm: CellNorm;
  epsilon: number;
  hidden: number;
  h0: Float32Array;
  /** [inputs, G]: W_x (GRU: [W_x | W]). */
  inputWeights(): tf.Tensor2D;
  /** [H, G]: W_h (GRU: [W_h | U]). */
  recurrentWeights(): tf.Tensor2D;
  /** The per-unit parameters packed as src/backend/kernels/cells.ts PACKS lays them out. */
  vec(): tf.Tensor1D;
  /** Hands step t's saved statistics to the norms that keep per-step statistics (batch norm). */
  stepStatistics(t: number, stats: tf.Tensor, live: number): void;
}

const KERNELS = { lstm: [LSTM_FORWARD, LSTM_BACKWARD], gru: [GRU_FORWARD, GRU_BACKWARD] } as const;

/** A term norm's kind in the kernels: per row re-centred or not (layer, rms), per column (batch, re-centred only). */
const termKind = (n: FusedNorm): CellNorm | undefined =>
  n.axis === 1 ? (n.center === false ? 'rms' : 'layer') : n.center === false ? undefined : 'batch';

/**
 * The norm kind the kernels compute for a cell's term norms (all of one kind), or undefined if they cannot: none;
 * layer (axis 1); rms (axis 1, center false: RMSNorm, layer norm with the mean taken as 0); batch (axis 0). A mix,
 * such as re-centred terms beside RMS ones, runs op by op.
 */
export function fusedNormOf(norms: readonly (FusedNorm | undefined)[], training: boolean): CellNorm | undefined {
  if (norms.length === 0) return 'none';
  if (norms.some((n) => !n || !n.fusable(training))) return undefined;
  const kinds = new Set(norms.map((n) => termKind(n!)));
  return kinds.size === 1 ? [...kinds][0] : undefined;
}

/** True when the current backend runs this kind's fused kernels. */
export const fusedKernels = (kind: 'lstm' | 'gru'): boolean => KERNELS[kind].every((k) => hasKernel(k));

/**
 * Batch norm's step statistics out of the saved stats [9, G] (kernels/cells.ts): the gate terms' over all G columns
 * (rows 0 and 6: W_h h; 2 and 7: W_x x) and the cell's over the first H (rows 4 and 8).
 */
export function lstmBatchStatistics(norms: FusedNorm[], H: number) {
  const [nh, nx, nc] = norms;
  return (t: number, stats: tf.Tensor, live: number) => {
    const of = (meanRow: number, varRow: number, width: number) => () => ({
      mean: tf.slice(stats, [meanRow, 0], [1, width]),
      variance: tf.slice(stats, [varRow, 0], [1, width]),
    });
    nh.step?.(t, of(0, 6, 4 * H), live);
    nx.step?.(t, of(2, 7, 4 * H), live);
    nc.step?.(t, of(4, 8, H), live);
  };
}

const attrs = (f: FusedCell, row0: number, hsRow0 = 0): CellAttrs => ({
  norm: f.norm,
  epsilon: f.epsilon,
  row0,
  hsRow0,
});

/** One forward step: [h, c (LSTM), act, tc (LSTM), stats]. */
function forwardKernel(
  f: FusedCell,
  xp: tf.Tensor,
  hp: tf.Tensor,
  s: CellState,
  mask: tf.Tensor,
  vec: tf.Tensor,
  row0: number,
) {
  if (f.kind === 'lstm') {
    const [h, c, act, tc, stats, scratch] = runKernel(
      LSTM_FORWARD,
      { xp, hp, cPrev: s.c!, hPrev: s.h, vec, mask },
      attrs(f, row0),
    );
    scratch?.dispose(); // batch norm's float64 sums
    return { h, c, act, tc, stats };
  }
  const [h, act, stats] = runKernel(GRU_FORWARD, { xp, hp, hPrev: s.h, vec, mask }, attrs(f, row0));
  return { h, act, stats };
}

/** What the backward kernel reads of one step. */
interface SavedStep {
  hp: tf.Tensor;
  act: tf.Tensor;
  stats: tf.Tensor;
  mask: tf.Tensor;
  /** The state before the step and after it. */
  hPrev: tf.Tensor;
  cPrev?: tf.Tensor;
  c?: tf.Tensor;
  tc?: tf.Tensor;
}

interface BackwardIn {
  dhs: tf.Tensor;
  dhRec: tf.Tensor;
  dhCarry: tf.Tensor;
  dc?: tf.Tensor;
  xp: tf.Tensor;
  vec: tf.Tensor;
  acc: tf.Tensor;
}

/** One backward step: dhp, dxp, dcPrev (LSTM), dhCarry, acc. */
function backwardKernel(f: FusedCell, s: SavedStep, g: BackwardIn, row0: number, hsRow0: number) {
  const { dhs, dhRec, dhCarry, xp, vec, acc } = g;
  const common = { dhs, dhRec, dhCarry, act: s.act, hp: s.hp, xp, stats: s.stats, vec, mask: s.mask, acc };
  if (f.kind === 'lstm') {
    const [dhp, dxp, dcPrev, carry, accOut, scratch] = runKernel(
      LSTM_BACKWARD,
      { ...common, dc: g.dc!, c: s.c!, cPrev: s.cPrev!, tc: s.tc! },
      attrs(f, row0, hsRow0),
    );
    scratch?.dispose();
    return { dhp, dxp, dcPrev, carry, acc: accOut };
  }
  const [dhp, dxp, carry, accOut] = runKernel(GRU_BACKWARD, { ...common, hPrev: s.hPrev }, attrs(f, row0, hsRow0));
  return { dhp, dxp, carry, acc: accOut };
}

/** Per step, [batch] of 1 (live) and 0 (padding), from the sequences' lengths (all live without them). */
function stepMasks(steps: number, batch: number, lengths?: ArrayLike<number>): Float32Array[] {
  return Array.from({ length: steps }, (_, t) =>
    Float32Array.from({ length: batch }, (_, b) => (!lengths || lengths[b] > t ? 1 : 0)),
  );
}

/** Saved per step: hp, act, stats, h (and, LSTM, c and tc); before them xp, U, vec, h0, c0 and the shared mask. */
const savedPerStep = (lstm: boolean) => (lstm ? 6 : 4);
const SAVED_BEFORE = 6;

interface SequenceShape {
  steps: number;
  batch: number;
  lstm: boolean;
  /** Whether every step's h is an output (else only the final state). */
  allSteps: boolean;
  /** Whether some sequences are shorter than others (then a mask per step, else one of ones for all). */
  padded: boolean;
  /**
   * Batch norm only: the number of leading steps whose inputs are the same in every sequence (commonPrefix); the
   * states before steps 0 .. common are then the same in every sequence, and the backward pass takes the batch mean
   * of their gradients (commonGradient).
   */
  common: number;
}

/**
 * How many leading steps of xs [steps * batch, inputs] (step-major) have every sequence's input bit-identical, all
 * sequences live: before and after them every sequence has the same state (h0 is one vector for all, c0 zeros).
 */
export function commonPrefix(xs: tf.Tensor2D, steps: number, batch: number, masks: Float32Array[]): number {
  const values = xs.dataSync();
  const width = xs.shape[1];
  for (let t = 0; t < steps; t++) {
    if (masks[t].some((m) => m === 0)) return t;
    const first = t * batch * width;
    for (let k = width; k < batch * width; k++) if (values[first + k] !== values[first + (k % width)]) return t;
  }
  return steps;
}

/**
 * A state that is the same in every sequence is a function of the parameters alone, so the loss's gradient reaches
 * them only through the sum over the batch of the state's gradient: replacing each row by the batch mean changes no
 * parameter's gradient. Under batch norm it is what keeps float32 exact: a column that is the same in every row has
 * zero batch variance, and its norm's backward multiplies each row's gradient by gain / sqrt(epsilon) (316 gain) and
 * centres it, so that step by step back through such states the rows grow (10^15 after three steps at gain 1) while
 * their sum, all that matters, stays O(1) and is lost to rounding. Averaged, the rows stay O(1) and centre to 0.
 * The inputs' gradient at those steps keeps its sum over the batch, not each row: exact too for inputs that are
 * themselves the same function of the parameters in every sequence (data, or the same tokens' embeddings).
 */
export const commonGradient = (dy: tf.Tensor): tf.Tensor => tf.broadcastTo(tf.mean(dy, 0, true), dy.shape);

/**
 * Runs `f` over `steps` steps of `batch` sequences whose inputs are xs [steps * batch, inputs], step-major (rows
 * t * batch .. t * batch + batch - 1 are x_t). With `lengths`, a sequence's padded steps leave its state unchanged
 * and enter no statistic. Returns the final state and, with `allSteps`, every step's h [steps * batch, H].
 * Without a gradient to record, each step's intermediates are freed as it ends.
 */
export function fusedSequence(
  f: FusedCell,
  xs: tf.Tensor2D,
  shape: { steps: number; batch: number; allSteps?: boolean },
  lengths?: ArrayLike<number>,
): { hs?: tf.Tensor2D; last: CellState } {
  const { steps, batch } = shape;
  const padded = lengths !== undefined && Array.from(lengths).some((n) => n < steps);
  const lstm = f.kind === 'lstm';
  const o: SequenceShape = { steps, batch, lstm, allSteps: shape.allSteps ?? false, padded, common: -1 };
  const h0 = tf.tile(tf.tensor2d(f.h0, [1, f.hidden]), [batch, 1]);
  const c0 = tf.zeros([batch, f.hidden]);
  const U = f.recurrentWeights();
  const vec = f.vec();
  const masks = stepMasks(steps, batch, lengths);
  if (!recordingGradients()) return forwardOnly(f, xs, { U, vec, h0, c0 }, masks, o);
  if (f.norm === 'batch') o.common = commonPrefix(xs, steps, batch, masks);
  // Without a norm an LSTM's two products have the same gradient (that of the pre-activations), so W_x's and W_h's
  // gradients are one product, [X | H_prev]^T dpre, and the op takes X and W_x themselves.
  if (o.lstm && f.norm === 'none') {
    const W = f.inputWeights();
    const outs = customOp(
      [xs, W, h0, c0, U, vec],
      (save) => {
        const xp = tf.matMul(xs, W);
        return sequenceForward(f, { xp, U, vec, h0, c0 }, masks, o, (kept) => save([...kept, xs, W]));
      },
      (dys, saved) => jointBackward(f, dys, saved, o),
    );
    return sequenceResult(outs, o);
  }
  const xp = tf.matMul(xs, f.inputWeights());
  const inputs = o.lstm ? [xp, h0, c0, U, vec] : [xp, h0, U, vec];
  const outs = customOp(
    inputs,
    (save) => sequenceForward(f, { xp, U, vec, h0, c0 }, masks, o, save),
    (dys, saved) => sequenceBackward(f, dys, saved, o).grads,
  );
  return sequenceResult(outs, o);
}

/**
 * The sequence without a gradient to record (evaluation, batch norm's population pass): step by step, x_t W_x with
 * the rest of the step, each step's intermediates freed as it ends, so that a long sequence of a large batch holds
 * no [steps * batch, G] input product.
 */
function forwardOnly(
  f: FusedCell,
  xs: tf.Tensor2D,
  { U, vec, h0, c0 }: Omit<SequenceInputs, 'xp'>,
  masks: Float32Array[],
  o: SequenceShape,
): { hs?: tf.Tensor2D; last: CellState } {
  const W = f.inputWeights();
  const shared = o.padded ? undefined : tf.ones([o.batch]);
  let s: CellState = { h: h0 as tf.Tensor2D, c: o.lstm ? (c0 as tf.Tensor2D) : undefined };
  const hs: tf.Tensor[] = [];
  for (let t = 0; t < o.steps; t++) {
    const prev = s;
    s = tf.tidy(() => {
      const mask = shared ?? tf.tensor1d(masks[t]);
      const xp = tf.matMul(tf.slice(xs, [t * o.batch, 0], [o.batch, -1]), W);
      const out = forwardKernel(f, xp, tf.matMul(prev.h, U), prev, mask, vec, 0);
      f.stepStatistics(t, out.stats, liveCount(masks[t], masks[t].length));
      return { h: out.h as tf.Tensor2D, c: out.c as tf.Tensor2D | undefined };
    });
    // Every step's h is kept (the result), its c is not: the previous one is freed as for the last state alone.
    if (o.allSteps) hs.push(s.h);
    if (t > 0) tf.dispose([...(o.allSteps ? [] : [prev.h]), ...(prev.c ? [prev.c] : [])]);
  }
  shared?.dispose();
  return { hs: o.allSteps ? (tf.concat(hs, 0) as tf.Tensor2D) : undefined, last: s };
}

function sequenceResult(outs: tf.Tensor[], o: SequenceShape): { hs?: tf.Tensor2D; last: CellState } {
  const [hs, h, c] = o.allSteps ? outs : [undefined, ...outs];
  return { hs: hs as tf.Tensor2D | undefined, last: { h: h as tf.Tensor2D, c: c as tf.Tensor2D | undefined } };
}

interface SequenceInputs {
  xp: tf.Tensor;
  U: tf.Tensor;
  vec: tf.Tensor;
  h0: tf.Tensor;
  c0: tf.Tensor;
}

function sequenceForward(
  f: FusedCell,
  { xp, U, vec, h0, c0 }: SequenceInputs,
  masks: Float32Array[],
  o: SequenceShape,
  save: (tensors: tf.Tensor[]) => void,
): tf.Tensor[] {
  const recording = recordingGradients();
  const shared = o.padded ? undefined : tf.ones([o.batch]);
  const kept: tf.Tensor[] = [xp, U, vec, h0, c0, shared ?? c0];
  const perStepMasks: tf.Tensor[] = [];
  let s: CellState = { h: h0 as tf.Tensor2D, c: c0 as tf.Tensor2D };
  const hs: tf.Tensor[] = [];
  for (let t = 0; t < o.steps; t++) {
    const mask = shared ?? tf.tensor1d(masks[t]);
    const hp = tf.matMul(s.h, U);
    const out = forwardKernel(f, xp, hp, s, mask, vec, t * o.batch);
    f.stepStatistics(t, out.stats, liveCount(masks[t], masks[t].length));
    if (recording) {
      kept.push(hp, out.act, out.stats, out.h, ...(o.lstm ? [out.c!, out.tc!] : []));
      if (!shared) perStepMasks.push(mask);
    } else {
      tf.dispose([hp, out.act, out.stats, ...(out.tc ? [out.tc] : []), ...(shared ? [] : [mask])]);
      if (t > 0 && !o.allSteps) tf.dispose([s.h, ...(s.c ? [s.c] : [])]);
    }
    s = { h: out.h as tf.Tensor2D, c: out.c as tf.Tensor2D | undefined };
    if (o.allSteps) hs.push(out.h);
  }
  save([...kept, ...perStepMasks]);
  const last = o.lstm ? [s.h, s.c!] : [s.h];
  return o.allSteps ? [tf.concat(hs, 0), ...last] : last;
}

/** What the backward kernel reads of step t, out of what sequenceForward saved. */
function savedStep(saved: tf.Tensor[], t: number, o: SequenceShape): SavedStep {
  const per = savedPerStep(o.lstm);
  const at = (k: number) => saved.slice(SAVED_BEFORE + k * per, SAVED_BEFORE + (k + 1) * per);
  const [hp, act, stats, , c, tc] = at(t);
  // The state before step t: step t - 1's h and c, or h0 and c0.
  const [hPrev, cPrev] = t > 0 ? at(t - 1).slice(3, 5) : [saved[3], saved[4]];
  const mask = o.padded ? saved[SAVED_BEFORE + o.steps * per + t] : saved[5];
  return { hp, act, stats, mask, hPrev: hPrev!, cPrev, c, tc };
}

/**
 * The gradient of the state before a step, out of the step's backward kernel: dhRec through W_h^T, dhCarry, dc; their
 * batch means (commonGradient) where that state is the same in every sequence (`common`; never h0 and c0: constants).
 */
function stateGradient(out: ReturnType<typeof backwardKernel>, UT: tf.Tensor, common: boolean) {
  const g = { dhRec: tf.matMul(out.dhp, UT), dhCarry: out.carry, dc: out.dcPrev };
  if (!common) return g;
  return { dhRec: commonGradient(g.dhRec), dhCarry: commonGradient(g.dhCarry), dc: g.dc && commonGradient(g.dc) };
}

/**
 * The backward pass through time: each step's kernel and product through W_h^T, then W_h's gradient over all steps.
 * Returns the gradients of the op's inputs (xp, h0, c0 for the LSTM, W_h, vec) and, for jointBackward, the gradient
 * of the pre-activations at every step and the states before them.
 */
function sequenceBackward(f: FusedCell, dys: tf.Tensor[], saved: tf.Tensor[], o: SequenceShape, joint = false) {
  const result = tf.tidy(() => {
    const { steps, batch, lstm } = o;
    const [dhs, dhT, dcT] = o.allSteps ? dys : [tf.zeros(dys[0].shape), ...dys];
    const [xp, U, vec] = saved;
    const step = (t: number) => savedStep(saved, t, o);
    const UT = tf.transpose(U);
    let g: BackwardIn = { dhs, dhRec: dhT, dhCarry: tf.zeros(dhT.shape), dc: dcT, xp, vec, acc: tf.zeros(vec.shape) };
    const dhps: tf.Tensor[] = [];
    const dxps: tf.Tensor[] = [];
    for (let t = steps - 1; t >= 0; t--) {
      const out = backwardKernel(f, step(t), g, t * batch, o.allSteps ? t * batch : 0);
      dhps[t] = out.dhp;
      dxps[t] = out.dxp;
      g = { ...g, ...stateGradient(out, UT, t > 0 && t <= o.common), acc: out.acc };
    }
    const hPrev = tf.concat(
      Array.from({ length: steps }, (_, t) => step(t).hPrev),
      0,
    );
    const dh0 = tf.add(g.dhRec, g.dhCarry);
    if (joint) return { grads: [dh0, g.dc!, g.acc], dpre: tf.concat(dhps, 0), hPrev };
    const dU = tf.matMul(hPrev, tf.concat(dhps, 0), true, false);
    const dxp = tf.concat(dxps, 0);
    return { grads: lstm ? [dxp, dh0, g.dc!, dU, g.acc] : [dxp, dh0, dU, g.acc] };
  });
  return result as { grads: tf.Tensor[]; dpre?: tf.Tensor; hPrev?: tf.Tensor };
}

/** The plain LSTM's backward: W_x's and W_h's gradients as one product; X's only if asked for. */
function jointBackward(f: FusedCell, dys: tf.Tensor[], saved: tf.Tensor[], o: SequenceShape): Gradient[] {
  const [xs, W] = saved.slice(-2);
  const { grads, dpre, hPrev } = sequenceBackward(f, dys, saved, o, true);
  const [dh0, dc0, dvec] = grads;
  const inputs = W.shape[0];
  const [dW, dU] = tf.tidy(() => {
    const both = tf.matMul(tf.concat([xs, hPrev!], 1), dpre!, true, false);
    return [tf.slice(both, [0, 0], [inputs, -1]), tf.slice(both, [inputs, 0], [-1, -1])];
  });
  return [() => tf.matMul(dpre!, W, false, true), dW, dh0, dc0, dU, dvec];
}

/** One step of `f` on x [batch, inputs] from state s (no padding). */
export function fusedStep(f: FusedCell, x: tf.Tensor2D, s: CellState, t: number): CellState {
  const lstm = f.kind === 'lstm';
  const W = f.inputWeights();
  const U = f.recurrentWeights();
  const vec = f.vec();
  const batch = x.shape[0];
  const inputs = lstm ? [x, s.h, s.c!, W, U, vec] : [x, s.h, W, U, vec];
  const outs = customOp(
    inputs,
    (save) => {
      const mask = tf.ones([batch]);
      const xp = tf.matMul(x, W);
      const hp = tf.matMul(s.h, U);
      const o = forwardKernel(f, xp, hp, s, mask, vec, 0);
      f.stepStatistics(t, o.stats, batch);
      const c0 = o.c ?? o.h;
      save([x, s.h, s.c ?? c0, W, U, vec, xp, hp, o.act, o.stats, mask, c0, o.tc ?? c0]);
      return lstm ? [o.h, o.c!] : [o.h];
    },
    ([dh, dc], saved) =>
      tf.tidy(() => {
        const [xs, hPrev, cPrev, Ws, Us, vecs, xp, hp, act, stats, mask, c, tc] = saved;
        const zeros = tf.zeros(dh.shape);
        const g: BackwardIn = { dhs: dh, dhRec: zeros, dhCarry: zeros, dc, xp, vec: vecs, acc: tf.zeros(vecs.shape) };
        const o = backwardKernel(f, { hp, act, stats, mask, hPrev, cPrev, c, tc }, g, 0, 0);
        let dhPrev = tf.matMul(o.dhp, Us, false, true);
        if (!lstm) dhPrev = tf.add(dhPrev, o.carry);
        const dx = tf.matMul(o.dxp, Ws, false, true);
        const dW = tf.matMul(xs, o.dxp, true, false);
        const dU = tf.matMul(hPrev, o.dhp, true, false);
        return lstm ? [dx, dhPrev, o.dcPrev!, dW, dU, o.acc] : [dx, dhPrev, dW, dU, o.acc];
      }),
  );
  return { h: outs[0] as tf.Tensor2D, c: outs[1] as tf.Tensor2D | undefined };
}
