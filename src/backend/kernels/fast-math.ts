// exp, the logistic sigmoid and tanh for the fused cells' JavaScript loops: V8's Math.exp and Math.tanh cost 9 and
// 14 ns a call on our machines (2-core x86, Node 20), five of them per LSTM unit and step. This exp is a range
// reduction (x = k ln 2 + r, |r| <= ln2 / 2) and the degree-8 Taylor polynomial of e^r, scaled by a table of 2^k:
// 5 ns, relative error below 3e-10 (float64 arithmetic), which float32 results do not see.
const POW2_OFFSET = 150;
const POW2 = Float64Array.from({ length: 2 * POW2_OFFSET + 1 }, (_, k) => 2 ** (k - POW2_OFFSET));
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
/** Inputs are clamped to what float32 can hold of e^x (beyond it the results are 0 or overflow either way). */
const LIMIT = 88;

export function fastExp(v: number): number {
  const x = v > LIMIT ? LIMIT : v < -LIMIT ? -LIMIT : v;
  const k = Math.floor(x * Math.LOG2E + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  const p =
    1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040 + r / 40320)))))));
  return p * POW2[k + POW2_OFFSET];
}

export const fastSigmoid = (v: number): number => 1 / (1 + fastExp(-v));

/** Below this |v|, tanh's odd Taylor polynomial to v^9 (its error under 1e-10 relative there). */
const TANH_SERIES = 0.15;

/**
 * tanh(v) = 2 sigmoid(2v) - 1 where |v| >= 0.15 (absolute error ~3e-10 from exp, under 2e-9 relative), its series
 * below (where the subtraction would lose the relative accuracy of small values).
 */
export function fastTanh(v: number): number {
  if (v > -TANH_SERIES && v < TANH_SERIES) {
    const q = v * v;
    return v * (1 + q * (-1 / 3 + q * (2 / 15 + q * (-17 / 315 + q * (62 / 2835)))));
  }
  return 2 / (1 + fastExp(-2 * v)) - 1;
}
