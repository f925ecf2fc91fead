// The LSTM step of cells.ts for the norms whose statistics are per example (none, layer, rms): each row of the batch
// on its own, in as few passes over its 4H gate values as the equations allow (two forward, two backward), with the
// statistics of each term taken about its mean (two passes over a row: exact where a row's values are all equal), or
// about 0 for RMSNorm (its mean slot in stats holds 0). Batch norm, whose statistics run down the columns, takes the
// general loops of cells.ts.
import { liveCount, rowBackward, rowMoments, type RowNorm, type Term } from './cell-norms';
import { heapOffset as at, sigmoidInPlace, simdFor, tanhInPlace, type SimdCells } from './simd-cells';

/** The values [base, base + n) of x as one row of a term (cell-norms.ts). */
const rowOf = (data: Float32Array, base: number, n: number): Term => ({ data, base, stride: 0, col: 0, width: n });

export interface RowArrays {
  xp: Float32Array;
  hp: Float32Array;
  cPrev: Float32Array;
  hPrev: Float32Array;
  vec: Float32Array;
  mask: Float32Array;
}

/** One row's activated gates into act (layer, rms: the statistics of its two products into stats[r * 6 ..]). */
function gatesRow(a: RowArrays, [, , act, , stats]: Float32Array[], r: number, H: number, o: RowOptions) {
  const { xp, hp, vec } = a;
  const G = 4 * H;
  const base = r * G;
  const xr = o.xb + base;
  if (o.norm !== 0) {
    const [mh, rh] = rowMoments(rowOf(hp, base, G), 0, o.epsilon, o.norm === 1);
    const [mx, rx] = rowMoments(rowOf(xp, xr, G), 0, o.epsilon, o.norm === 1);
    // pre = (hp - mh) rh gh + bh + (xp - mx) rx gx + bx + b
    for (let k = 0; k < G; k++)
      act[base + k] =
        (hp[base + k] - mh) * rh * vec[G + k] +
        vec[2 * G + k] +
        (xp[xr + k] - mx) * rx * vec[3 * G + k] +
        vec[4 * G + k] +
        vec[k];
    stats.set([mh, rh, mx, rx], r * 6);
  } else for (let k = 0; k < G; k++) act[base + k] = hp[base + k] + xp[xr + k] + vec[k];
  sigmoidInPlace(act, base, 3 * H);
  tanhInPlace(act, base + 3 * H, H);
}

/** One row's c = f cPrev + i g, tc = tanh(norm(c)), h = o tc (layer, rms: c's statistics into stats[r * 6 + 4 ..]). */
function cellRow(a: RowArrays, [h, c, act, tc, stats]: Float32Array[], r: number, H: number, o: RowOptions) {
  const { cPrev, vec } = a;
  const base = 4 * H * r;
  const rh = r * H;
  for (let j = 0; j < H; j++) c[rh + j] = act[base + j] * cPrev[rh + j] + act[base + H + j] * act[base + 3 * H + j];
  if (o.norm !== 0) {
    const [mc, rc] = rowMoments(rowOf(c, rh, H), 0, o.epsilon, o.norm === 1);
    const gc = 20 * H;
    for (let j = 0; j < H; j++) tc[rh + j] = (c[rh + j] - mc) * rc * vec[gc + j] + vec[gc + H + j];
    stats.set([mc, rc], r * 6 + 4);
  } else tc.set(c.subarray(rh, rh + H), rh);
  tanhInPlace(tc, rh, H);
  for (let j = 0; j < H; j++) h[rh + j] = act[base + 2 * H + j] * tc[rh + j];
}

interface RowOptions {
  /** The first value of this step's rows in xp. */
  xb: number;
  norm: RowNorm;
  epsilon: number;
}

/** Forward for B rows (outputs h, c, act, tc, stats as lstmForwardKernel's). */
interface ForwardOptions {
  row0: number;
  norm: RowNorm;
  epsilon: number;
}

export function lstmRowsForward(a: RowArrays, out: Float32Array[], B: number, H: number, o: ForwardOptions) {
  const simd = H % 4 === 0 ? simdFor([a.xp, a.hp, a.cPrev, a.hPrev, a.vec, ...out]) : undefined;
  if (simd) return forwardSimd(simd, a, out, B, H, o);
  const [h, c, , , stats] = out;
  stats.fill(0);
  const ro = { xb: o.row0 * 4 * H, norm: o.norm, epsilon: o.epsilon };
  for (let r = 0; r < B; r++) {
    gatesRow(a, out, r, H, ro);
    cellRow(a, out, r, H, ro);
    if (a.mask[r] === 0) {
      h.set(a.hPrev.subarray(r * H, (r + 1) * H), r * H);
      c.set(a.cPrev.subarray(r * H, (r + 1) * H), r * H);
    }
  }
}

const gradArrays = (a: RowGrads): Float32Array[] => Object.values(a) as Float32Array[];

export interface RowGrads {
  dhs: Float32Array;
  dhRec: Float32Array;
  dhCarry: Float32Array;
  dc: Float32Array;
  act: Float32Array;
  c: Float32Array;
  cPrev: Float32Array;
  tc: Float32Array;
  hp: Float32Array;
  xp: Float32Array;
  stats: Float32Array;
  vec: Float32Array;
  mask: Float32Array;
}

/** Scratch: one row's gradient of the pre-activations (4H) and of norm(c) (H). */
let dpre = new Float64Array(0);
let dnc = new Float64Array(0);

/**
 * Layer norm's backward (cell-norms.ts rowBackward; center false: RMSNorm's) for one row's term of n values at
 * x[xAt ..], gain and bias at vec[gAt ..] and vec[bAt ..], given dy = dpre: writes dx[dxAt ..] and adds to dvec's
 * gain and bias parts.
 */
function termBackward(
  x: Float32Array,
  xAt: number,
  n: number,
  [mu, rs]: Float32Array,
  vec: Float32Array,
  gAt: number,
  bAt: number,
  dvec: Float64Array,
  dx: Float32Array,
  dxAt: number,
  center: boolean,
) {
  const out = { data: dx, base: dxAt, stride: 0, col: 0 };
  const [dgain, dbias] = [dvec.subarray(gAt, gAt + n), dvec.subarray(bAt, bAt + n)];
  rowBackward(dpre, 0, rowOf(x, xAt, n), out, 0, mu, rs, { data: vec, at: gAt }, dgain, dbias, center);
}

/**
 * One live row's gradient of norm(c) and of o's pre-activation (into dpre), then through c's norm and the gates:
 * dpre's other three parts and dcPrev; vec's gradient of c's norm added to dvec.
 */
function cellRowBackward(a: RowGrads, dcPrev: Float32Array, dvec: Float64Array, r: number, H: number, o: RowBackward) {
  const { act, tc, c, cPrev, dc, vec, stats } = a;
  const base = 4 * H * r;
  const rh = r * H;
  const gc = 20 * H;
  const normed = o.norm !== 0;
  const [mc, rc] = normed ? [stats[r * 6 + 4], stats[r * 6 + 5]] : [0, 1];
  const m1Weight = o.norm === 1 ? 1 / H : 0; // of the mean(dy g) term: 0 for RMSNorm
  let s1 = 0;
  let s2 = 0;
  for (let j = 0; j < H; j++) {
    const dh = a.dhs[o.hsBase + rh + j] + a.dhRec[rh + j] + a.dhCarry[rh + j];
    const [og, t] = [act[base + 2 * H + j], tc[rh + j]];
    dpre[2 * H + j] = dh * t * og * (1 - og);
    dnc[j] = dh * og * (1 - t * t);
    if (!normed) continue;
    const ch = (c[rh + j] - mc) * rc;
    s1 += dnc[j] * vec[gc + j];
    s2 += dnc[j] * vec[gc + j] * ch;
    dvec[gc + j] += dnc[j] * ch;
    dvec[gc + H + j] += dnc[j];
  }
  for (let j = 0; j < H; j++) {
    const dcn = normed ? rc * (dnc[j] * vec[gc + j] - s1 * m1Weight - (c[rh + j] - mc) * rc * (s2 / H)) : dnc[j];
    const dct = dc[rh + j] + dcn;
    const [f, ig, g] = [act[base + j], act[base + H + j], act[base + 3 * H + j]];
    dpre[j] = dct * cPrev[rh + j] * f * (1 - f);
    dpre[H + j] = dct * g * ig * (1 - ig);
    dpre[3 * H + j] = dct * ig * (1 - g * g);
    dcPrev[rh + j] = dct * f;
  }
}

/** One live row's backward (none, layer or rms): dhp, dxp, dcPrev into `out`, vec's gradient added to dvec. */
function backwardRow(
  a: RowGrads,
  [dhp, dxp, dcPrev]: Float32Array[],
  dvec: Float64Array,
  r: number,
  H: number,
  o: RowBackward,
) {
  const G = 4 * H;
  const base = r * G;
  const { vec, stats } = a;
  cellRowBackward(a, dcPrev, dvec, r, H, o);
  for (let j = 0; j < G; j++) dvec[j] += dpre[j];
  if (o.norm === 0) {
    for (let j = 0; j < G; j++) dhp[base + j] = dxp[base + j] = dpre[j];
    return;
  }
  const center = o.norm === 1;
  termBackward(a.hp, base, G, stats.subarray(r * 6), vec, G, 2 * G, dvec, dhp, base, center);
  termBackward(a.xp, o.xBase + base, G, stats.subarray(r * 6 + 2), vec, 3 * G, 4 * G, dvec, dxp, base, center);
}

interface RowBackward {
  norm: RowNorm;
  /** Where this step's rows start in dhs and in xp. */
  hsBase: number;
  xBase: number;
}

/**
 * Backward for B rows: outputs dhp, dxp, dcPrev, dhCarry as lstmBackwardKernel's, and accOut = acc + this step's
 * gradient of vec.
 */
export function lstmRowsBackward(
  a: RowGrads,
  out: Float32Array[],
  [acc, accOut]: Float32Array[],
  B: number,
  H: number,
  o: RowBackward,
): void {
  const [dhp, dxp, dcPrev, dhCarry] = out;
  const simd = H % 4 === 0 ? simdFor([...gradArrays(a), ...out, acc, accOut]) : undefined;
  if (simd) return backwardSimd(simd, a, out, [acc, accOut], B, H, o);
  const dvec = new Float64Array(acc.length);
  const G = 4 * H;
  if (dpre.length < G) dpre = new Float64Array(G);
  if (dnc.length < H) dnc = new Float64Array(H);
  for (let r = 0; r < B; r++) {
    if (a.mask[r] === 0) {
      for (let j = 0; j < H; j++) {
        const i = r * H + j;
        dhCarry[i] = a.dhs[o.hsBase + i] + a.dhRec[i] + a.dhCarry[i];
        dcPrev[i] = a.dc[i];
      }
      dhp.fill(0, r * G, (r + 1) * G);
      dxp.fill(0, r * G, (r + 1) * G);
      continue;
    }
    dhCarry.fill(0, r * H, (r + 1) * H);
    backwardRow(a, out, dvec, r, H, o);
  }
  for (let k = 0; k < acc.length; k++) accOut[k] = acc[k] + dvec[k];
}

// ---------------------------------------------------------------------------------------------- SIMD (wasm heap)

/** lstmRowsForward's work in one call of the SIMD module (H a multiple of 4, every array on the wasm heap). */
function forwardSimd(
  s: SimdCells,
  a: RowArrays,
  [h, c, act, tc, stats]: Float32Array[],
  B: number,
  H: number,
  o: ForwardOptions,
) {
  stats.fill(0);
  const xp = at(a.xp, o.row0 * 4 * H);
  const rows = [at(a.hp, 0), at(a.cPrev, 0), at(a.hPrev, 0), at(a.vec, 0), at(a.mask, 0)] as const;
  s.lstmForwardRows(at(h, 0), at(c, 0), at(act, 0), at(tc, 0), at(stats, 0), xp, ...rows, B, H, o.norm, o.epsilon);
}

/** lstmRowsBackward's work in one call of the SIMD module; vec's gradient summed into accOut (float32). */
function backwardSimd(
  s: SimdCells,
  a: RowGrads,
  out: Float32Array[],
  [acc, accOut]: Float32Array[],
  B: number,
  H: number,
  o: RowBackward,
) {
  accOut.set(acc);
  const outs = [...out.map((x) => at(x, 0)), at(accOut, 0)] as const;
  const grads = [at(a.dhs, o.hsBase), at(a.dhRec, 0), at(a.dhCarry, 0), at(a.dc, 0)] as const;
  const saved = [a.act, a.c, a.cPrev, a.tc, a.hp].map((x) => at(x, 0));
  s.lstmBackwardRows(
    ...outs,
    ...grads,
    ...saved,
    at(a.xp, o.xBase),
    at(a.stats, 0),
    at(a.vec, 0),
    at(a.mask, 0),
    B,
    H,
    o.norm,
  );
}

/** The BN-LSTM forward step with the SIMD module; false (nothing done) where an array is not on the wasm heap. */
export function batchForwardSimd(
  ins: Float32Array[],
  outs: Float32Array[],
  B: number,
  H: number,
  o: { row0: number; epsilon: number },
): boolean {
  const s = simdFor([...ins, ...outs]);
  if (!s) return false;
  const [xp, hp, cPrev, hPrev, vec, mask] = ins;
  const [h, c, act, tc, stats, scratch] = outs;
  stats.fill(0);
  const ptrs = [h, c, act, tc, stats, scratch].map((x) => at(x, 0));
  s.lstmForwardBatch(
    ...ptrs,
    at(xp, o.row0 * 4 * H),
    ...[hp, cPrev, hPrev, vec, mask].map((x) => at(x, 0)),
    B,
    H,
    liveCount(mask, B),
    o.epsilon,
  );
  return true;
}

/** The BN-LSTM backward step with the SIMD module; false where an array is not on the wasm heap. */
export function batchBackwardSimd(
  a: RowGrads,
  outs: Float32Array[],
  acc: Float32Array,
  B: number,
  H: number,
  o: { hsBase: number; xBase: number },
): boolean {
  const s = simdFor([...gradArrays(a), ...outs, acc]);
  if (!s) return false;
  const [dhp, dxp, dcPrev, dhCarry, accOut, scratch] = outs;
  accOut.set(acc);
  const head = [dhp, dxp, dcPrev, dhCarry, accOut, scratch].map((x) => at(x, 0));
  const grads = [at(a.dhs, o.hsBase), at(a.dhRec, 0), at(a.dhCarry, 0), at(a.dc, 0)];
  const saved = [a.act, a.c, a.cPrev, a.tc, a.hp].map((x) => at(x, 0));
  const rest = [at(a.xp, o.xBase), at(a.stats, 0), at(a.vec, 0), at(a.mask, 0)];
  s.lstmBackwardBatch(...head, ...grads, ...saved, ...rest, B, H, liveCount(a.mask, B));
  return true;
}
