// Float64 references of the recurrent cells (the paper's supplementary material; Cooijmans et al. for BN-LSTM; Zhang &
// Sennrich for RMSNorm, in layer norm's places), written independently of src/: one step of each cell and the loss
// sum(w * h_T) after a sequence, with variable lengths handled by running the reference cell on the sub-batch of
// sequences still going.
/** Every cell kind with every norm it takes (batch norm: the LSTM's only). */
export const CASES = [
  ['lstm', 'none'],
  ['lstm', 'layer'],
  ['lstm', 'batch'],
  ['lstm', 'rms'],
  ['gru', 'none'],
  ['gru', 'layer'],
  ['gru', 'rms'],
] as const;

/** The prefix of a norm's parameters in a cell (`ln_h/gain`, `rms_x/bias`, ...). */
const PREFIX: Record<string, string> = { layer: 'ln', batch: 'bn', rms: 'rms' };

export type M = number[][];
export const EPS = 1e-5;
const matmul = (a: M, b: M): M => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const add = (a: M, b: M | number[]): M =>
  a.map((row, i) => row.map((v, j) => v + (Array.isArray(b[0]) ? (b as M)[i][j] : (b as number[])[j])));
const mul = (a: M, b: M): M => a.map((row, i) => row.map((v, j) => v * b[i][j]));
const map = (a: M, f: (v: number) => number): M => a.map((row) => row.map(f));
const sig = (v: number) => 1 / (1 + Math.exp(-v));
const cols = (a: M, from: number, to: number): M => a.map((row) => row.slice(from, to));
/**
 * Layer norm per row: biased variance, eps inside the square root. center false: RMSNorm, the mean taken as 0
 * (a / sqrt(mean(a^2) + eps)).
 */
function ln(a: M, gain: number[], bias: number[], center = true): M {
  return a.map((row) => {
    const mu = center ? row.reduce((s, v) => s + v, 0) / row.length : 0;
    const sd = Math.sqrt(row.reduce((s, v) => s + (v - mu) ** 2, 0) / row.length + EPS);
    return row.map((v, j) => (gain[j] * (v - mu)) / sd + bias[j]);
  });
}
/** Batch norm per column (training mode). */
function bn(a: M, gain: number[], bias: number[]): M {
  const n = a.length;
  const mu = a[0].map((_, j) => a.reduce((s, r) => s + r[j], 0) / n);
  const sd = a[0].map((_, j) => Math.sqrt(a.reduce((s, r) => s + (r[j] - mu[j]) ** 2, 0) / n + EPS));
  return a.map((row) => row.map((v, j) => (gain[j] * (v - mu[j])) / sd[j] + bias[j]));
}

export type P = Record<string, number[] | M>;
const v = (p: P, k: string) => p[k] as number[];
const m = (p: P, k: string) => p[k] as M;

/** A cell's term norm in the reference: `term` is h, x, c (LSTM) or h, x, w, u (GRU). */
function termNorm(p: P, norm: string) {
  return (term: string, a: M): M => {
    const role = `${PREFIX[norm]}_${term}`;
    if (norm === 'layer' || norm === 'rms') return ln(a, v(p, `${role}/gain`), v(p, `${role}/bias`), norm === 'layer');
    if (norm === 'batch')
      return bn(a, v(p, `${role}/gain`), p[`${role}/bias`] ? v(p, `${role}/bias`) : a[0].map(() => 0));
    return a;
  };
}

export function lstmRef(p: P, norm: string, x: M, s: { h: M; c: M }) {
  const H = s.h[0].length;
  const nrm = termNorm(p, norm);
  const gates = add(add(nrm('h', matmul(s.h, m(p, 'W_h'))), nrm('x', matmul(x, m(p, 'W_x')))), v(p, 'b'));
  const [f, i, o, g] = [0, 1, 2, 3].map((k) => cols(gates, k * H, (k + 1) * H));
  const c = add(mul(map(f, sig), s.c), mul(map(i, sig), map(g, Math.tanh)));
  const h = mul(map(o, sig), map(nrm('c', c), Math.tanh));
  return { h, c };
}

export function gruRef(p: P, norm: string, x: M, s: { h: M }) {
  const H = s.h[0].length;
  // Layer norm or RMSNorm: the norms' biases in place of the cell's own.
  const own = norm === 'none';
  const nrm = termNorm(p, norm);
  let zr = add(nrm('h', matmul(s.h, m(p, 'W_h'))), nrm('x', matmul(x, m(p, 'W_x'))));
  if (own) zr = add(zr, v(p, 'b_zr'));
  zr = map(zr, sig);
  const [z, r] = [cols(zr, 0, H), cols(zr, H, 2 * H)];
  let pre = add(nrm('w', matmul(x, m(p, 'W'))), mul(r, nrm('u', matmul(s.h, m(p, 'U')))));
  if (own) pre = add(pre, v(p, 'b_n'));
  const h = add(
    mul(
      map(z, (e) => 1 - e),
      s.h,
    ),
    mul(z, map(pre, Math.tanh)),
  );
  return { h };
}

/** Loss = sum of w * h_T after T steps, as the reference computes it from parameters `p`. */
export function refLoss(cellKind: string, norm: string, p: P, xs: M[], w: M): number {
  const H = w[0].length;
  let s: { h: M; c: M } = { h: xs[0].map(() => [...v(p, 'h0')]), c: xs[0].map(() => Array(H).fill(0)) };
  for (const x of xs) s = cellKind === 'lstm' ? lstmRef(p, norm, x, s) : { ...gruRef(p, norm, x, s), c: s.c };
  return mul(s.h, w)
    .flat()
    .reduce((a, b) => a + b, 0);
}

/**
 * refLoss for variable-length sequences, formulated independently of masks: at step t the reference cell runs
 * on the sub-batch of sequences still going (so batch norm's statistics are theirs alone) and only their rows
 * of the state are replaced.
 */
export function refLossVariable(cellKind: string, norm: string, p: P, xs: M[], w: M, lengths: number[]): number {
  const H = w[0].length;
  let s: { h: M; c: M } = { h: xs[0].map(() => [...v(p, 'h0')]), c: xs[0].map(() => Array(H).fill(0)) };
  xs.forEach((x, t) => {
    const live = lengths.map((len, b) => (len > t ? b : -1)).filter((b) => b >= 0);
    if (live.length === 0) return;
    const sub = { h: live.map((b) => s.h[b]), c: live.map((b) => s.c[b]) };
    const xsub = live.map((b) => x[b]);
    const next = cellKind === 'lstm' ? lstmRef(p, norm, xsub, sub) : { ...gruRef(p, norm, xsub, sub), c: sub.c };
    s = { h: s.h.map((row) => [...row]), c: s.c.map((row) => [...row]) };
    live.forEach((b, k) => {
      s.h[b] = next.h[k];
      s.c[b] = next.c[k];
    });
  });
  return mul(s.h, w)
    .flat()
    .reduce((a, b) => a + b, 0);
}
