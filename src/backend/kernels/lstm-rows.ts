// The LSTM step of cells.ts for the norms whose statistics are per example (none, layer): each row of the batch on
// its own, in as few passes over its 4H gate values as the equations allow (two forward, two backward), with the
// statistics of each term taken about its mean (two passes over a row: exact where a row's values are all equal).
// Batch norm, whose statistics run down the columns, takes the general loops of cells.ts.
import { sigmoidInPlace, simdFor, tanhInPlace, type SimdCells } from './simd-cells';

/** Row r's mean and rstd over values [start, start + n) of x. */
function moments(x: Float32Array, start: number, n: number, epsilon: number, out: Float64Array, at: number): void {
  let s = 0;
  for (let i = start; i < start + n; i++) s += x[i];
  const mu = s / n;
  let q = 0;
  for (let i = start; i < start + n; i++) {
    const d = x[i] - mu;
    q += d * d;
  }
  out[at] = mu;
  out[at + 1] = 1 / Math.sqrt(q / n + epsilon);
}

export interface RowArrays {
  xp: Float32Array;
  hp: Float32Array;
  cPrev: Float32Array;
  hPrev: Float32Array;
  vec: Float32Array;
  mask: Float32Array;
}

const m = new Float64Array(6);

/** One row's gates, c, tanh(norm(c)) and h (layer: with the row's statistics into stats[r * 6 ..]). */
function forwardRow(a: RowArrays, out: Float32Array[], r: number, H: number, xb: number, layer: boolean, eps: number) {
  const h = out[0];
  const c = out[1];
  const act = out[2];
  const tc = out[3];
  const stats = out[4];
  const xp = a.xp;
  const hp = a.hp;
  const cPrev = a.cPrev;
  const vec = a.vec;
  const G = 4 * H;
  const base = r * G;
  let mh = 0;
  let rh = 1;
  let mx = 0;
  let rx = 1;
  if (layer) {
    moments(hp, base, G, eps, m, 0);
    moments(xp, xb + base, G, eps, m, 2);
    mh = m[0];
    rh = m[1];
    mx = m[2];
    rx = m[3];
  }
  // The pre-activations into act, then activated in place: with layer norm,
  // pre = (hp - mh) rh gh + bh + (xp - mx) rx gx + bx + b; without, hp + xp + b.
  const xr = xb + base;
  if (layer)
    for (let k = 0; k < G; k++)
      act[base + k] =
        (hp[base + k] - mh) * rh * vec[G + k] +
        vec[2 * G + k] +
        (xp[xr + k] - mx) * rx * vec[3 * G + k] +
        vec[4 * G + k] +
        vec[k];
  else for (let k = 0; k < G; k++) act[base + k] = hp[base + k] + xp[xr + k] + vec[k];
  sigmoidInPlace(act, base, 3 * H);
  tanhInPlace(act, base + 3 * H, H);
  for (let j = 0; j < H; j++)
    c[r * H + j] = act[base + j] * cPrev[r * H + j] + act[base + H + j] * act[base + 3 * H + j];
  let mc = 0;
  let rc = 1;
  if (layer) {
    moments(c, r * H, H, eps, m, 4);
    mc = m[4];
    rc = m[5];
    for (let q = 0; q < 6; q++) stats[r * 6 + q] = m[q];
  }
  // tanh(norm(c)) into tc, then h = o tc.
  const gc = 5 * G;
  if (layer) for (let j = 0; j < H; j++) tc[r * H + j] = (c[r * H + j] - mc) * rc * vec[gc + j] + vec[gc + H + j];
  else tc.set(c.subarray(r * H, (r + 1) * H), r * H);
  tanhInPlace(tc, r * H, H);
  for (let j = 0; j < H; j++) h[r * H + j] = act[base + 2 * H + j] * tc[r * H + j];
}

/** Forward for B rows (outputs h, c, act, tc, stats as lstmForwardKernel's). */
interface ForwardOptions {
  row0: number;
  layer: boolean;
  epsilon: number;
}

export function lstmRowsForward(a: RowArrays, out: Float32Array[], B: number, H: number, o: ForwardOptions) {
  const simd = H % 4 === 0 ? simdFor([a.xp, a.hp, a.cPrev, a.hPrev, a.vec, ...out]) : undefined;
  if (simd) return forwardSimd(simd, a, out, B, H, o);
  const [h, c, , , stats] = out;
  stats.fill(0);
  for (let r = 0; r < B; r++) {
    forwardRow(a, out, r, H, o.row0 * 4 * H, o.layer, o.epsilon);
    if (a.mask[r] === 0) {
      h.set(a.hPrev.subarray(r * H, (r + 1) * H), r * H);
      c.set(a.cPrev.subarray(r * H, (r + 1) * H), r * H);
    }
  }
}

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
 * Layer norm's backward for one row's term (values x[xAt ..], n of them, mean mu and rstd rs, gain at vec[gAt ..]),
 * given dy = dpre: writes dx and adds to dgain (dvec[gAt ..]) and dbias (dvec[bAt ..]).
 */
function termBackward(
  x: Float32Array,
  xAt: number,
  n: number,
  mu: number,
  rs: number,
  vec: Float32Array,
  gAt: number,
  bAt: number,
  dvec: Float64Array,
  dx: Float32Array,
  dxAt: number,
) {
  let s1 = 0;
  let s2 = 0;
  for (let j = 0; j < n; j++) {
    const d = dpre[j];
    const xh = (x[xAt + j] - mu) * rs;
    const dxh = d * vec[gAt + j];
    s1 += dxh;
    s2 += dxh * xh;
    dvec[gAt + j] += d * xh;
    dvec[bAt + j] += d;
  }
  const m1 = s1 / n;
  const m2 = s2 / n;
  for (let j = 0; j < n; j++) dx[dxAt + j] = rs * (dpre[j] * vec[gAt + j] - m1 - (x[xAt + j] - mu) * rs * m2);
}

/** One live row's backward (layer or none): dhp, dxp, dcPrev into `out`, vec's gradient added to dvec. */
function backwardRow(a: RowGrads, out: Float32Array[], dvec: Float64Array, r: number, H: number, o: RowBackward) {
  const dhp = out[0];
  const dxp = out[1];
  const dcPrev = out[2];
  const act = a.act;
  const tc = a.tc;
  const c = a.c;
  const cPrev = a.cPrev;
  const dc = a.dc;
  const vec = a.vec;
  const stats = a.stats;
  const dhs = a.dhs;
  const dhRec = a.dhRec;
  const dhCarry = a.dhCarry;
  const layer = o.layer;
  const hsBase = o.hsBase;
  const G = 4 * H;
  const base = r * G;
  const gc = 5 * G;
  // dh, then the gradient of norm(c) and of o's pre-activation.
  let s1 = 0;
  let s2 = 0;
  const mc = layer ? stats[r * 6 + 4] : 0;
  const rc = layer ? stats[r * 6 + 5] : 1;
  for (let j = 0; j < H; j++) {
    const i = r * H + j;
    const dh = dhs[hsBase + i] + dhRec[i] + dhCarry[i];
    const og = act[base + 2 * H + j];
    const t = tc[i];
    dpre[2 * H + j] = dh * t * og * (1 - og);
    const d = dh * og * (1 - t * t);
    dnc[j] = d;
    if (layer) {
      const ch = (c[i] - mc) * rc;
      const dch = d * vec[gc + j];
      s1 += dch;
      s2 += dch * ch;
      dvec[gc + j] += d * ch;
      dvec[gc + H + j] += d;
    }
  }
  const m1 = s1 / H;
  const m2 = s2 / H;
  for (let j = 0; j < H; j++) {
    const i = r * H + j;
    const k = base + j;
    const dcn = layer ? rc * (dnc[j] * vec[gc + j] - m1 - (c[i] - mc) * rc * m2) : dnc[j];
    const dct = dc[i] + dcn;
    const f = act[k];
    const ig = act[k + H];
    const g = act[k + 3 * H];
    dpre[j] = dct * cPrev[i] * f * (1 - f);
    dpre[H + j] = dct * g * ig * (1 - ig);
    dpre[3 * H + j] = dct * ig * (1 - g * g);
    dcPrev[i] = dct * f;
  }
  for (let j = 0; j < G; j++) dvec[j] += dpre[j];
  if (!layer) {
    for (let j = 0; j < G; j++) dhp[base + j] = dxp[base + j] = dpre[j];
    return;
  }
  termBackward(a.hp, base, G, stats[r * 6], stats[r * 6 + 1], vec, G, 2 * G, dvec, dhp, base);
  termBackward(a.xp, o.xBase + base, G, stats[r * 6 + 2], stats[r * 6 + 3], vec, 3 * G, 4 * G, dvec, dxp, base);
}

interface RowBackward {
  layer: boolean;
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
  const simd = H % 4 === 0 ? simdFor([...Object.values(a), ...out, acc, accOut]) : undefined;
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

/** The byte offset of a[i]. */
const at = (a: Float32Array, i: number) => a.byteOffset + 4 * i;

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
  s.lstmForwardRows(
    at(h, 0),
    at(c, 0),
    at(act, 0),
    at(tc, 0),
    at(stats, 0),
    xp,
    ...rows,
    B,
    H,
    o.layer ? 1 : 0,
    o.epsilon,
  );
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
    o.layer ? 1 : 0,
  );
}

const countLive = (mask: Float32Array) => mask.reduce((n, m) => n + (m !== 0 ? 1 : 0), 0);

/** The BN-LSTM forward step with the SIMD module; false (nothing done) where an array is not on the wasm heap. */
export function batchForwardSimd(
  ins: Float32Array[],
  outs: Float32Array[],
  B: number,
  H: number,
  o: ForwardOptions,
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
    countLive(mask),
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
  const s = simdFor([...Object.values(a), ...outs, acc]);
  if (!s) return false;
  const [dhp, dxp, dcPrev, dhCarry, accOut, scratch] = outs;
  accOut.set(acc);
  const head = [dhp, dxp, dcPrev, dhCarry, accOut, scratch].map((x) => at(x, 0));
  const grads = [at(a.dhs, o.hsBase), at(a.dhRec, 0), at(a.dhCarry, 0), at(a.dc, 0)];
  const saved = [a.act, a.c, a.cPrev, a.tc, a.hp].map((x) => at(x, 0));
  const rest = [at(a.xp, o.xBase), at(a.stats, 0), at(a.vec, 0), at(a.mask, 0)];
  s.lstmBackwardBatch(...head, ...grads, ...saved, ...rest, B, H, countLive(a.mask));
  return true;
}
