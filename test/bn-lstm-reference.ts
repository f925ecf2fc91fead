// A float64 BN-LSTM classifier (Cooijmans et al. 2016; the LSTM of cell-reference.ts, then dense -> softmax on the
// last h, mean cross-entropy), forward and backward by hand, written independently of src/ for the test of a batch
// whose sequences all begin with the same inputs (test/bn-common-prefix.test.ts).
//
// Its backward pass averages over the batch the gradient of every state that is the same in every sequence (the
// states before the first input on which the sequences differ). That changes no parameter's gradient, exactly: such a
// state is a function of the parameters alone, so only its gradient's sum over the batch reaches them. It is needed
// even in float64: batch norm multiplies each row's gradient by gain / sqrt(eps) at such a state's zero-variance
// columns, twice per step, so that the rows grow to ~1e15 after three steps at gain 1 while their sum stays O(1),
// beyond float64 too (plain float64 autograd was measured off by a relative 0.7 along random directions there).
// The test checks this reference against float64 finite differences, which need no backward pass at all.
import { EPS, type M } from './cell-reference';

export type { M };

const zeros = (rows: number, cols: number): M => Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
/** a [n, k] b [k, m] (ta: a^T, tb: b^T). */
function mm(a: M, b: M, ta = false, tb = false): M {
  const [n, k] = ta ? [a[0].length, a.length] : [a.length, a[0].length];
  const m = tb ? b.length : b[0].length;
  const out = zeros(n, m);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < k; p++) {
      const v = ta ? a[p][i] : a[i][p];
      if (v === 0) continue;
      for (let j = 0; j < m; j++) out[i][j] += v * (tb ? b[j][p] : b[p][j]);
    }
  return out;
}
const sig = (v: number) => 1 / (1 + Math.exp(-v));
const colSum = (a: M): number[] => a[0].map((_, j) => a.reduce((s, r) => s + r[j], 0));

interface Bn {
  y: M;
  xhat: M;
  sd: number[];
}
/** Batch norm of each column: biased variance, eps inside the square root. */
function bn(a: M, gain: number[], bias?: number[]): Bn {
  const n = a.length;
  const mu = colSum(a).map((s) => s / n);
  const sd = a[0].map((_, j) => Math.sqrt(a.reduce((s, r) => s + (r[j] - mu[j]) ** 2, 0) / n + EPS));
  const xhat = a.map((r) => r.map((v, j) => (v - mu[j]) / sd[j]));
  return { xhat, sd, y: xhat.map((r) => r.map((v, j) => gain[j] * v + (bias ? bias[j] : 0))) };
}
/** dL/da, dL/dgain, dL/dbias of bn, from dL/dy. */
function bnBack(dy: M, { xhat, sd }: Bn, gain: number[]) {
  const n = dy.length;
  const dxh = dy.map((r) => r.map((v, j) => v * gain[j]));
  const m1 = colSum(dxh).map((s) => s / n);
  const m2 = colSum(dxh.map((r, i) => r.map((v, j) => v * xhat[i][j]))).map((s) => s / n);
  const da = dxh.map((r, i) => r.map((v, j) => (v - m1[j] - xhat[i][j] * m2[j]) / sd[j]));
  return { da, dgain: colSum(dy.map((r, i) => r.map((v, j) => v * xhat[i][j]))), dbias: colSum(dy) };
}

/** The parameters, by the names the test maps the model's onto. */
export interface BnLstmParams {
  W_x: M;
  W_h: M;
  b: number[];
  gain_h: number[];
  gain_x: number[];
  gain_c: number[];
  bias_c: number[];
  W_out: M;
  b_out: number[];
}

interface Step {
  x: M;
  hPrev: M;
  cPrev: M;
  nh: Bn;
  nx: Bn;
  gates: M[];
  c: M;
  nc: Bn;
  tc: M;
}

function step(p: BnLstmParams, x: M, hPrev: M, cPrev: M): Step & { h: M } {
  const H = hPrev[0].length;
  const nh = bn(mm(hPrev, p.W_h), p.gain_h);
  const nx = bn(mm(x, p.W_x), p.gain_x);
  const z = nh.y.map((r, i) => r.map((v, j) => v + nx.y[i][j] + p.b[j]));
  const [f, ig, o, g] = [0, 1, 2, 3].map((k) =>
    z.map((r) => r.slice(k * H, (k + 1) * H).map(k === 3 ? Math.tanh : sig)),
  );
  const c = cPrev.map((r, i) => r.map((v, j) => f[i][j] * v + ig[i][j] * g[i][j]));
  const nc = bn(c, p.gain_c, p.bias_c);
  const tc = nc.y.map((r) => r.map(Math.tanh));
  const h = tc.map((r, i) => r.map((v, j) => o[i][j] * v));
  return { x, hPrev, cPrev, nh, nx, gates: [f, ig, o, g], c, nc, tc, h };
}

/** Mean cross-entropy of softmax(h_T W_out + b_out); xs[t] is x_t [batch, inputs], h0 [H]. */
export function bnLstmForward(p: BnLstmParams, xs: M[], h0: number[], labels: number[]) {
  let h: M = labels.map(() => [...h0]);
  let c: M = zeros(labels.length, h0.length);
  const steps: Step[] = [];
  for (const x of xs) {
    const s = step(p, x, h, c);
    steps.push(s);
    [h, c] = [s.h, s.c];
  }
  const logits = mm(h, p.W_out).map((r) => r.map((v, j) => v + p.b_out[j]));
  const probs = logits.map((r) => {
    const top = Math.max(...r);
    const e = r.map((v) => Math.exp(v - top));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  });
  const loss = -probs.reduce((s, r, i) => s + Math.log(r[labels[i]]), 0) / labels.length;
  return { loss, steps, h, probs };
}

const same = (a: M) => a.every((r) => r.every((v, j) => v === a[0][j]));
const averaged = (d: M): M => {
  const mean = colSum(d).map((s) => s / d.length);
  return d.map(() => [...mean]);
};

/** The loss and the gradient of every parameter (see the file's head for the states whose gradient is averaged). */
export function bnLstmGradients(p: BnLstmParams, xs: M[], h0: number[], labels: number[]) {
  const { loss, steps, h, probs } = bnLstmForward(p, xs, h0, labels);
  const n = labels.length;
  const dlogits = probs.map((r, i) => r.map((v, j) => (v - (j === labels[i] ? 1 : 0)) / n));
  const g = {
    W_out: mm(h, dlogits, true),
    b_out: colSum(dlogits),
    W_x: zeros(p.W_x.length, p.W_x[0].length),
    W_h: zeros(p.W_h.length, p.W_h[0].length),
    b: new Array<number>(p.b.length).fill(0),
    gain_h: new Array<number>(p.b.length).fill(0),
    gain_x: new Array<number>(p.b.length).fill(0),
    gain_c: new Array<number>(h0.length).fill(0),
    bias_c: new Array<number>(h0.length).fill(0),
  };
  // The states before steps 0 .. common - 1 are the same in every sequence.
  let common = 0;
  while (common < steps.length && same(steps[common].hPrev) && same(steps[common].cPrev)) common++;
  let dh = mm(dlogits, p.W_out, false, true);
  let dc = zeros(n, h0.length);
  for (let t = steps.length - 1; t >= 0; t--) {
    [dh, dc] = stepBack(p, steps[t], dh, dc, g);
    if (t < common) [dh, dc] = [averaged(dh), averaged(dc)];
  }
  return { loss, grads: g as Record<keyof BnLstmParams, M | number[]> };
}

const addTo = (acc: number[], v: number[]) => v.forEach((x, j) => (acc[j] += x));
const addToM = (acc: M, v: M) => v.forEach((r, i) => r.forEach((x, j) => (acc[i][j] += x)));

function stepBack(p: BnLstmParams, s: Step, dh: M, dcIn: M, g: Record<string, M | number[]>): [M, M] {
  const [f, ig, o, gg] = s.gates;
  const dtc = dh.map((r, i) => r.map((v, j) => v * o[i][j] * (1 - s.tc[i][j] ** 2)));
  const bc = bnBack(dtc, s.nc, p.gain_c);
  addTo(g.gain_c as number[], bc.dgain);
  addTo(g.bias_c as number[], bc.dbias);
  const dc = dcIn.map((r, i) => r.map((v, j) => v + bc.da[i][j]));
  const dz = dh.map((r, i) => [
    ...r.map((_, j) => dc[i][j] * s.cPrev[i][j] * f[i][j] * (1 - f[i][j])),
    ...r.map((_, j) => dc[i][j] * gg[i][j] * ig[i][j] * (1 - ig[i][j])),
    ...r.map((v, j) => v * s.tc[i][j] * o[i][j] * (1 - o[i][j])),
    ...r.map((_, j) => dc[i][j] * ig[i][j] * (1 - gg[i][j] ** 2)),
  ]);
  addTo(g.b as number[], colSum(dz));
  const bh = bnBack(dz, s.nh, p.gain_h);
  const bx = bnBack(dz, s.nx, p.gain_x);
  addTo(g.gain_h as number[], bh.dgain);
  addTo(g.gain_x as number[], bx.dgain);
  addToM(g.W_h as M, mm(s.hPrev, bh.da, true));
  addToM(g.W_x as M, mm(s.x, bx.da, true));
  return [mm(bh.da, p.W_h, false, true), dc.map((r, i) => r.map((v, j) => v * f[i][j]))];
}
