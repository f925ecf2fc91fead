// Fused recurrent cell steps (after Haste, lmnt-com/haste): everything of one LSTM or GRU step that comes after its two
// matrix products, as one forward kernel and one backward kernel, for cpu and wasm: JavaScript loops over the tensors'
// memory (lstm-rows.ts for the LSTM's per-row norms), and on the wasm heap, where the hidden size is a multiple of 4,
// the WebAssembly SIMD loops of simd-cells.wat. The products (h W_h per step, X W_x for a whole sequence at once) stay
// tfjs matMuls, which wasm sends to XNNPACK. The equations are those of src/models/cells/<kind>/index.ts, with their
// norms (none; layer per row; rms per row, layer norm with the mean taken as 0 (RMSNorm, Zhang & Sennrich); batch per
// column over the live rows), and the backward pass is derived by hand from them.
//
// Layouts. hp [B, G] is h_{t-1} W_h; xp [R, G] holds the input term of this step at rows row0 .. row0 + B (a whole
// sequence's X W_x, step-major, or one step's); G = 4H (LSTM gates f, i, o, g) or 3H (GRU: z, r from W_h/W_x, then
// the candidate's U/W term). vec packs the cell's per-unit parameters (PACKS below), so that the backward kernel's
// running sum `acc` is vec's gradient. mask [B] is 1 for a live row, 0 for a padded one: a padded row keeps its
// state (h, c pass through) and enters no statistic. Statistics are saved by the forward kernel:
//   layer: [B, 2k] the mean and rstd = 1/sqrt(var + eps) per row of each of k terms;
//   rms: as layer, the mean 0 and rstd = 1/sqrt(mean(x^2) + eps);
//   batch (LSTM): [9, G]: mean, rstd of W_h h, of W_x x, of c (its first H columns), then the three variances;
//   none: [1, 1], unused.
// With batch norm the LSTM kernels have one more output, scratch for the SIMD loops' column sums ([4, G] forward,
// [2, G] backward), which the caller frees.
import type { JsKernel } from './js-kernel';
import { batchBackwardSimd, batchForwardSimd, lstmRowsBackward, lstmRowsForward } from './lstm-rows';
import { heapOffset as at, simdFor } from './simd-cells';
import {
  columnBackward,
  columnMoments,
  liveCount,
  rowBackward,
  rowMoments,
  scratchOf,
  type RowNorm,
  type Term,
} from './cell-norms';

export const LSTM_FORWARD = 'LnReproLstmForward';
export const LSTM_BACKWARD = 'LnReproLstmBackward';
export const GRU_FORWARD = 'LnReproGruForward';
export const GRU_BACKWARD = 'LnReproGruBackward';

export type CellNorm = 'none' | 'layer' | 'batch' | 'rms';

/** The per-row norms as the row loops and the SIMD module take them (batch norm has loops of its own). */
const ROW_NORM: Record<Exclude<CellNorm, 'batch'>, RowNorm> = { none: 0, layer: 1, rms: 2 };
const rowNorm = (norm: CellNorm): RowNorm => (norm === 'batch' ? 0 : ROW_NORM[norm]);

export interface CellAttrs {
  norm: CellNorm;
  epsilon: number;
  /** The first row of this step in xp. */
  row0: number;
  /** Backward: the first row of this step in dhs (0 where dhs is [B, H]). */
  hsRow0: number;
}

const LSTM_NORMED = [
  ['b', 4],
  ['h/gain', 4],
  ['h/bias', 4],
  ['x/gain', 4],
  ['x/bias', 4],
  ['c/gain', 1],
  ['c/bias', 1],
] as const;

const GRU_NORMED = [
  ['h/gain', 2],
  ['h/bias', 2],
  ['u/gain', 1],
  ['u/bias', 1],
  ['x/gain', 2],
  ['x/bias', 2],
  ['w/gain', 1],
  ['w/bias', 1],
] as const;

/** The per-unit parameters a cell's vec packs, in order, with their lengths in units of H (rms: as layer). */
export const PACKS = {
  lstm: {
    none: [['b', 4]],
    layer: LSTM_NORMED,
    rms: LSTM_NORMED,
  },
  gru: {
    none: [
      ['b_zr', 2],
      ['b_n', 1],
    ],
    layer: GRU_NORMED,
    rms: GRU_NORMED,
  },
} as const satisfies Record<string, Record<string, readonly (readonly [string, number])[]>>;

/** The saved statistics' shape for B rows of G gate columns. */
export function cellStatsShape(kind: 'lstm' | 'gru', norm: CellNorm, B: number, G: number): number[] {
  if (norm === 'layer' || norm === 'rms') return [B, kind === 'lstm' ? 6 : 8];
  if (norm === 'batch') return [9, G];
  return [1, 1];
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

const term = (data: Float32Array, base: number, stride: number, col: number, width: number): Term => ({
  data,
  base,
  stride,
  col,
  width,
});

// ---------------------------------------------------------------------------------------------------------- LSTM

/**
 * Batch norm's pre [B, G] = BN(hp) + BN(xp) + b, statistics over the live rows into stats (the LSTM's other norms take
 * lstm-rows.ts).
 */
function lstmPre(
  [xp, hp, vec, mask]: Float32Array[],
  stats: Float32Array,
  B: number,
  G: number,
  { epsilon, row0 }: CellAttrs,
): Float64Array {
  const pre = scratchOf(0, B * G);
  const xb = row0 * G;
  const [gh, bh, gx, bx] = [G, 2 * G, 3 * G, 4 * G];
  const count = liveCount(mask, B);
  columnMoments(term(hp, 0, G, 0, G), B, mask, count, epsilon, { stats, mean: 0, rstd: G, variance: 6 * G });
  columnMoments(term(xp, xb, G, 0, G), B, mask, count, epsilon, { stats, mean: 2 * G, rstd: 3 * G, variance: 7 * G });
  for (let r = 0; r < B; r++)
    for (let j = 0, i = r * G; j < G; j++, i++)
      pre[i] =
        (hp[i] - stats[j]) * stats[G + j] * vec[gh + j] +
        vec[bh + j] +
        (xp[xb + i] - stats[2 * G + j]) * stats[3 * G + j] * vec[gx + j] +
        vec[bx + j] +
        vec[j];
  return pre;
}

/** Batch norm of c: its normalized values (float64 [B, H]); fills its statistics. */
function lstmCellNorm(
  c: Float32Array,
  vec: Float32Array,
  mask: Float32Array,
  stats: Float32Array,
  B: number,
  H: number,
  { epsilon }: CellAttrs,
): Float64Array {
  const nc = scratchOf(1, B * H);
  const [gc, bc] = [20 * H, 21 * H];
  const G = 4 * H;
  columnMoments(term(c, 0, H, 0, H), B, mask, liveCount(mask, B), epsilon, {
    stats,
    mean: 4 * G,
    rstd: 5 * G,
    variance: 8 * G,
  });
  for (let r = 0; r < B; r++)
    for (let j = 0, i = r * H; j < H; j++, i++)
      nc[i] = (c[i] - stats[4 * G + j]) * stats[5 * G + j] * vec[gc + j] + vec[bc + j];
  return nc;
}

/** Inputs xp, hp, cPrev, hPrev, vec, mask; outputs h, c, act (sigmoid f, i, o, tanh g), tc = tanh(norm(c)), stats. */
export const lstmForwardKernel: JsKernel<CellAttrs> = {
  name: LSTM_FORWARD,
  inputs: ['xp', 'hp', 'cPrev', 'hPrev', 'vec', 'mask'],
  outputShapes: ([, hp, cPrev], { norm }) => [
    cPrev,
    cPrev,
    hp,
    cPrev,
    cellStatsShape('lstm', norm, hp[0], hp[1]),
    ...(norm === 'batch' ? [[4, hp[1]]] : []),
  ],
  compute([xp, hp, cPrev, hPrev, vec, mask], outs, [, [B, G]], attrs) {
    const H = G / 4;
    if (attrs.norm !== 'batch') {
      const o = { row0: attrs.row0, norm: rowNorm(attrs.norm), epsilon: attrs.epsilon };
      return lstmRowsForward({ xp, hp, cPrev, hPrev, vec, mask }, outs, B, H, o);
    }
    if (H % 4 === 0 && batchForwardSimd([xp, hp, cPrev, hPrev, vec, mask], outs, B, H, attrs)) return;
    const [h, c, act, tc, stats] = outs;
    stats.fill(0);
    const pre = lstmPre([xp, hp, vec, mask], stats, B, G, attrs);
    for (let r = 0; r < B; r++) {
      for (let j = 0; j < H; j++) {
        const a = r * G + j;
        const f = sigmoid(pre[a]);
        const i = sigmoid(pre[a + H]);
        const o = sigmoid(pre[a + 2 * H]);
        const g = Math.tanh(pre[a + 3 * H]);
        act[a] = f;
        act[a + H] = i;
        act[a + 2 * H] = o;
        act[a + 3 * H] = g;
        c[r * H + j] = f * cPrev[r * H + j] + i * g;
      }
    }
    const nc = lstmCellNorm(c, vec, mask, stats, B, H, attrs);
    for (let r = 0; r < B; r++) {
      for (let j = 0, i = r * H; j < H; j++, i++) {
        const t = Math.tanh(nc[i]);
        tc[i] = t;
        h[i] = act[r * G + 2 * H + j] * t;
      }
      if (mask[r] === 0) {
        h.set(hPrev.subarray(r * H, (r + 1) * H), r * H);
        c.set(cPrev.subarray(r * H, (r + 1) * H), r * H);
      }
    }
  },
};

interface LstmBackwardArrays {
  dh: Float64Array;
  dc: Float32Array;
  act: Float32Array;
  c: Float32Array;
  cPrev: Float32Array;
  tc: Float32Array;
  stats: Float32Array;
  vec: Float32Array;
  mask: Float32Array;
  dvec: Float64Array;
}

/** d(BN(c)) per live row into dnc, then through batch norm: the gradient of c from h, float64 [B, H]. */
function lstmCellNormBackward(a: LstmBackwardArrays, B: number, H: number): Float64Array {
  const G = 4 * H;
  const dnc = scratchOf(2, B * H);
  for (let r = 0; r < B; r++) {
    if (a.mask[r] === 0) continue;
    for (let j = 0, i = r * H; j < H; j++, i++) {
      const t = a.tc[i];
      dnc[i] = a.dh[i] * a.act[r * G + 2 * H + j] * (1 - t * t);
    }
  }
  const dcn = scratchOf(3, B * H);
  const [gc, bc] = [20 * H, 21 * H];
  const out = { data: dcn, base: 0, stride: H, col: 0 };
  const stats = { data: a.stats, mean: 4 * G, rstd: 5 * G };
  const gain = { data: a.vec, at: gc };
  const [dgain, dbias] = [a.dvec.subarray(gc, gc + H), a.dvec.subarray(bc, bc + H)];
  columnBackward(dnc, term(a.c, 0, H, 0, H), out, B, a.mask, liveCount(a.mask, B), stats, gain, dgain, dbias);
  return dcn;
}

/**
 * Inputs: dhs (the gradient of this step's h from outside the recurrence, at row0), dhRec and dhCarry (from the step
 * after: through W_h, and passed through padded rows), dc, the forward pass's act, c, cPrev, tc, hp, xp, stats, vec,
 * mask, and acc (vec's gradient so far). Outputs dhp, dxp (the gradients of the two products), dcPrev, dhCarry (the
 * part of h_{t-1}'s gradient that does not go through W_h: a padded row's), acc + this step's part of vec's gradient.
 */
export const lstmBackwardKernel: JsKernel<CellAttrs> = {
  name: LSTM_BACKWARD,
  inputs: ['dhs', 'dhRec', 'dhCarry', 'dc', 'act', 'c', 'cPrev', 'tc', 'hp', 'xp', 'stats', 'vec', 'mask', 'acc'],
  outputShapes: ([, dhRec, , , act, , , , , , , , , acc], { norm }) => [
    act,
    act,
    dhRec,
    dhRec,
    acc,
    ...(norm === 'batch' ? [[2, act[1]]] : []),
  ],
  compute(ins, outs, shapes, { norm, row0, hsRow0 }) {
    const [dhs, dhRec, dhCarry, dc, act, c, cPrev, tc, hp, xp, stats, vec, mask, acc] = ins;
    const [dhp, dxp, dcPrev, dhCarryOut, accOut] = outs;
    const [B, G] = shapes[4];
    const H = G / 4;
    const rows = { dhs, dhRec, dhCarry, dc, act, c, cPrev, tc, hp, xp, stats, vec, mask };
    if (norm !== 'batch') {
      const o = { norm: rowNorm(norm), hsBase: hsRow0 * H, xBase: row0 * G };
      lstmRowsBackward(rows, [dhp, dxp, dcPrev, dhCarryOut], [acc, accOut], B, H, o);
      return;
    }
    if (H % 4 === 0 && batchBackwardSimd(rows, outs, acc, B, H, { hsBase: hsRow0 * H, xBase: row0 * G })) return;
    batchBackwardJs(rows, outs, acc, [B, G], { norm, row0, hsRow0 });
  },
};

/** The BN-LSTM backward step in JavaScript (float64 sums): the cpu backend's, and wasm's where H is not a multiple of 4. */
function batchBackwardJs(
  { dhs, dhRec, dhCarry, dc, act, c, cPrev, tc, hp, xp, stats, vec, mask }: Record<string, Float32Array>,
  [dhp, dxp, dcPrev, dhCarryOut, accOut]: Float32Array[],
  acc: Float32Array,
  [B, G]: number[],
  { norm, row0, hsRow0 }: Omit<CellAttrs, 'epsilon'>,
) {
  const H = G / 4;
  const P = vec.length;
  const dvec = scratchOf(4, P);
  const dh = scratchOf(5, B * H);
  const db = hsRow0 * H;
  for (let i = 0; i < B * H; i++) dh[i] = dhs[db + i] + dhRec[i] + dhCarry[i];
  const a = { dh, dc, act, c, cPrev, tc, stats, vec, mask, dvec };
  const dcn = lstmCellNormBackward(a, B, H);
  const dpre = scratchOf(6, B * G);
  for (let r = 0; r < B; r++) {
    const live = mask[r] !== 0;
    for (let j = 0, i = r * H; j < H; j++, i++) {
      if (!live) {
        dcPrev[i] = dc[i];
        dhCarryOut[i] = dh[i];
        continue;
      }
      const k = r * G + j;
      const [f, ig, o, g] = [act[k], act[k + H], act[k + 2 * H], act[k + 3 * H]];
      const dct = dc[i] + dcn[i];
      dpre[k] = dct * cPrev[i] * f * (1 - f);
      dpre[k + H] = dct * g * ig * (1 - ig);
      dpre[k + 2 * H] = dh[i] * tc[i] * o * (1 - o);
      dpre[k + 3 * H] = dct * ig * (1 - g * g);
      dcPrev[i] = dct * f;
      dhCarryOut[i] = 0;
    }
  }
  for (let r = 0; r < B; r++) for (let j = 0; j < G; j++) dvec[j] += dpre[r * G + j];
  termsBackward(dpre, [hp, xp], [dhp, dxp], { B, G, row0, norm, stats, vec, mask, dvec, terms: LSTM_TERMS });
  for (let k = 0; k < P; k++) accOut[k] = acc[k] + dvec[k];
}

/** One normalized term of a product: its columns, its statistics' place, its gain's and bias's place in vec. */
interface TermLayout {
  /** 0: of hp, 1: of xp. */
  product: 0 | 1;
  col: number;
  width: number;
  /** layer, rms: the index of its mean in a row of stats (rstd follows); batch: the row of its mean (rstd the next). */
  stat: number;
  gain: number;
  bias: number;
}

const LSTM_TERMS = (H: number): TermLayout[] => [
  { product: 0, col: 0, width: 4 * H, stat: 0, gain: 4 * H, bias: 8 * H },
  { product: 1, col: 0, width: 4 * H, stat: 2, gain: 12 * H, bias: 16 * H },
];

interface TermsBackward {
  B: number;
  G: number;
  row0: number;
  norm: CellNorm;
  stats: Float32Array;
  vec: Float32Array;
  mask: Float32Array;
  dvec: Float64Array;
  terms: (H: number) => TermLayout[];
}

/**
 * The gradients of the products hp and xp from dy (float64 [B, G], the gradient of the sum of their normalized
 * terms, laid out as the products are): through each term's norm, or as they are without one; padded rows get 0.
 */
function termsBackward(
  dy: Float64Array,
  products: Float32Array[],
  grads: Float32Array[],
  o: TermsBackward,
  dyOf: (t: TermLayout) => Float64Array = () => dy,
): void {
  const { B, G, norm, mask } = o;
  const H = G / (o.terms === LSTM_TERMS ? 4 : 3);
  for (const t of o.terms(H)) {
    const d = dyOf(t);
    if (norm !== 'none') {
      termBackward(d, t, products, grads[t.product], o);
      continue;
    }
    const out = grads[t.product];
    for (let r = 0; r < B; r++)
      for (let j = 0; j < t.width; j++) out[r * G + t.col + j] = mask[r] === 0 ? 0 : d[r * G + t.col + j];
  }
}

/** One normalized term's part of termsBackward: through its layer norm or RMSNorm (per row), batch norm (per column). */
function termBackward(d: Float64Array, t: TermLayout, products: Float32Array[], grad: Float32Array, o: TermsBackward) {
  const { B, G, row0, stats, vec, mask, dvec } = o;
  const x = term(products[t.product], t.product === 0 ? 0 : row0 * G, G, t.col, t.width);
  const out = { data: grad, base: 0, stride: G, col: t.col };
  const gain = { data: vec, at: t.gain };
  const dgain = dvec.subarray(t.gain, t.gain + t.width);
  const dbias = dvec.subarray(t.bias, t.bias + t.width);
  if (o.norm === 'batch') {
    const packed = scratchOf(7, B * t.width);
    for (let r = 0; r < B; r++) for (let j = 0; j < t.width; j++) packed[r * t.width + j] = d[r * G + t.col + j];
    const s = { data: stats, mean: t.stat * G, rstd: (t.stat + 1) * G };
    columnBackward(packed, x, out, B, mask, liveCount(mask, B), s, gain, dgain, dbias);
    return;
  }
  const k = o.terms === LSTM_TERMS ? 6 : 8;
  const center = o.norm === 'layer';
  for (let r = 0; r < B; r++) {
    const [mu, rs] = [stats[r * k + t.stat], stats[r * k + t.stat + 1]];
    if (mask[r] === 0) grad.fill(0, r * G + t.col, r * G + t.col + t.width);
    else rowBackward(d, r * G + t.col, x, out, r, mu, rs, gain, dgain, dbias, center);
  }
}

// ----------------------------------------------------------------------------------------------------------- GRU

const GRU_TERMS = (H: number): TermLayout[] => [
  { product: 0, col: 0, width: 2 * H, stat: 0, gain: 0, bias: 2 * H }, // W_h h -> (z, r)
  { product: 0, col: 2 * H, width: H, stat: 2, gain: 4 * H, bias: 5 * H }, // U h -> the candidate
  { product: 1, col: 0, width: 2 * H, stat: 4, gain: 6 * H, bias: 8 * H }, // W_x x -> (z, r)
  { product: 1, col: 2 * H, width: H, stat: 6, gain: 10 * H, bias: 11 * H }, // W x -> the candidate
];

/** The four terms, normalized (layer, rms) or as they are, float64 [B, G] each for hp's and xp's columns. */
function gruTerms(
  [xp, hp, vec]: Float32Array[],
  stats: Float32Array,
  B: number,
  G: number,
  { norm, epsilon, row0 }: CellAttrs,
): [Float64Array, Float64Array] {
  const H = G / 3;
  const nh = scratchOf(0, B * G);
  const nx = scratchOf(1, B * G);
  const xb = row0 * G;
  if (norm === 'none') {
    for (let i = 0; i < B * G; i++) {
      nh[i] = hp[i];
      nx[i] = xp[xb + i];
    }
    return [nh, nx];
  }
  for (const t of GRU_TERMS(H)) {
    const [src, base, out] = t.product === 0 ? [hp, 0, nh] : [xp, xb, nx];
    for (let r = 0; r < B; r++) {
      const [mu, rs] = rowMoments(term(src, base, G, t.col, t.width), r, epsilon, norm === 'layer');
      stats[r * 8 + t.stat] = mu;
      stats[r * 8 + t.stat + 1] = rs;
      for (let j = 0; j < t.width; j++) {
        const i = r * G + t.col + j;
        out[i] = (src[base + i] - mu) * rs * vec[t.gain + j] + vec[t.bias + j];
      }
    }
  }
  return [nh, nx];
}

/** Inputs xp, hp, hPrev, vec, mask; outputs h, act (z, r, the candidate n), stats. */
export const gruForwardKernel: JsKernel<CellAttrs> = {
  name: GRU_FORWARD,
  inputs: ['xp', 'hp', 'hPrev', 'vec', 'mask'],
  outputShapes: ([, hp, hPrev], { norm }) => [hPrev, hp, cellStatsShape('gru', norm, hp[0], hp[1])],
  compute([xp, hp, hPrev, vec, mask], [h, act, stats], [, [B, G]], attrs) {
    const H = G / 3;
    stats.fill(0);
    const simd = H % 4 === 0 ? simdFor([xp, hp, hPrev, vec, mask, h, act, stats]) : undefined;
    if (simd) {
      const ptrs = [h, act, stats].map((a) => at(a, 0));
      const rest = [hp, hPrev, vec, mask].map((a) => at(a, 0));
      return simd.gruForwardRows(...ptrs, at(xp, attrs.row0 * G), ...rest, B, H, rowNorm(attrs.norm), attrs.epsilon);
    }
    const [nh, nx] = gruTerms([xp, hp, vec], stats, B, G, attrs);
    const own = attrs.norm === 'none';
    for (let r = 0; r < B; r++) {
      for (let j = 0; j < H; j++) {
        const k = r * G + j;
        const z = sigmoid(nh[k] + nx[k] + (own ? vec[j] : 0));
        const rg = sigmoid(nh[k + H] + nx[k + H] + (own ? vec[H + j] : 0));
        const n = Math.tanh(nx[k + 2 * H] + rg * nh[k + 2 * H] + (own ? vec[2 * H + j] : 0));
        act[k] = z;
        act[k + H] = rg;
        act[k + 2 * H] = n;
        const i = r * H + j;
        h[i] = mask[r] === 0 ? hPrev[i] : (1 - z) * hPrev[i] + z * n;
      }
    }
  },
};

/** The GRU backward step with the SIMD module; false (nothing done) where an array is not on the wasm heap. */
function gruBackwardSimd(ins: Float32Array[], outs: Float32Array[], [B, G]: number[], a: Omit<CellAttrs, 'epsilon'>) {
  const simd = simdFor([...ins, ...outs]);
  if (!simd) return false;
  const [dhs, dhRec, dhCarry, act, hp, xp, hPrev, stats, vec, mask, acc] = ins;
  const H = G / 3;
  outs[3].set(acc);
  const grads = [at(dhs, a.hsRow0 * H), at(dhRec, 0), at(dhCarry, 0), at(act, 0), at(hp, 0), at(xp, a.row0 * G)];
  const rest = [hPrev, stats, vec, mask].map((x) => at(x, 0));
  simd.gruBackwardRows(...outs.map((x) => at(x, 0)), ...grads, ...rest, B, H, rowNorm(a.norm));
  return true;
}

/** Inputs dhs, dhRec, dhCarry, act, hp, xp, hPrev, stats, vec, mask, acc; outputs dhp, dxp, dhCarry, acc. */
export const gruBackwardKernel: JsKernel<CellAttrs> = {
  name: GRU_BACKWARD,
  inputs: ['dhs', 'dhRec', 'dhCarry', 'act', 'hp', 'xp', 'hPrev', 'stats', 'vec', 'mask', 'acc'],
  outputShapes: ([, dhRec, , act, , , , , , , acc]) => [act, act, dhRec, acc],
  compute(ins, [dhp, dxp, dhCarryOut, accOut], shapes, { norm, row0, hsRow0 }) {
    const [dhs, dhRec, dhCarry, act, hp, xp, hPrev, stats, vec, mask, acc] = ins;
    const [B, G] = shapes[3];
    const H = G / 3;
    if (H % 4 === 0 && gruBackwardSimd(ins, [dhp, dxp, dhCarryOut, accOut], [B, G], { norm, row0, hsRow0 })) return;
    const P = vec.length;
    const dvec = scratchOf(4, P);
    const dyh = scratchOf(5, B * G); // gradient of the normalized hp terms: (z, r) pre-activations, then U h's
    const dyx = scratchOf(6, B * G); // of the xp terms: (z, r), then W x's
    const layer = norm !== 'none'; // layer or rms: the saved mean (0 for rms) and rstd of U h
    for (let r = 0; r < B; r++) {
      for (let j = 0; j < H; j++) {
        const i = r * H + j;
        const dh = dhs[hsRow0 * H + i] + dhRec[i] + dhCarry[i];
        if (mask[r] === 0) {
          dhCarryOut[i] = dh;
          continue;
        }
        const k = r * G + j;
        const [z, rg, n] = [act[k], act[k + H], act[k + 2 * H]];
        const u = k + 2 * H;
        const nu = layer ? (hp[u] - stats[r * 8 + 2]) * stats[r * 8 + 3] * vec[4 * H + j] + vec[5 * H + j] : hp[u];
        const dpre = dh * z * (1 - n * n);
        const dzPre = dh * (n - hPrev[i]) * z * (1 - z);
        const drPre = dpre * nu * rg * (1 - rg);
        dyh[k] = dyx[k] = dzPre;
        dyh[k + H] = dyx[k + H] = drPre;
        dyh[u] = dpre * rg;
        dyx[u] = dpre;
        dhCarryOut[i] = dh * (1 - z);
      }
    }
    if (!layer) for (let r = 0; r < B; r++) for (let j = 0; j < G; j++) dvec[j] += dyx[r * G + j]; // b_zr and b_n
    const o = { B, G, row0, norm, stats, vec, mask, dvec, terms: GRU_TERMS };
    termsBackward(dyh, [hp, xp], [dhp, dxp], o, (t) => (t.product === 0 ? dyh : dyx));
    for (let k = 0; k < P; k++) accOut[k] = acc[k] + dvec[k];
  },
};

export const CELL_KERNELS = [lstmForwardKernel, lstmBackwardKernel, gruForwardKernel, gruBackwardKernel];
