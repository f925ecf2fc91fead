// Independent float64 references, written from the equations (the paper's section 3; Ioffe & Szegedy 2015 for batch norm), not from the code under test.

/**
 * Normalize-scale-shift of x [rows][cols] along axis 1 (per row: layer norm) or 0 (per column: batch norm),
 * with the biased variance, eps inside the square root, and per-column gain and bias.
 */
export function normalizeRef(x: number[][], gain: number[], bias: number[], axis: 0 | 1, eps: number): number[][] {
  const rows = x.length;
  const cols = x[0].length;
  const out = x.map((r) => [...r]);
  const groups = axis === 1 ? rows : cols;
  const size = axis === 1 ? cols : rows;
  const at = (g: number, k: number) => (axis === 1 ? [g, k] : [k, g]);
  for (let g = 0; g < groups; g++) {
    let mu = 0;
    for (let k = 0; k < size; k++) {
      const [i, j] = at(g, k);
      mu += x[i][j];
    }
    mu /= size;
    let v = 0;
    for (let k = 0; k < size; k++) {
      const [i, j] = at(g, k);
      v += (x[i][j] - mu) ** 2;
    }
    const sigma = Math.sqrt(v / size + eps);
    for (let k = 0; k < size; k++) {
      const [i, j] = at(g, k);
      out[i][j] = (gain[j] * (x[i][j] - mu)) / sigma + bias[j];
    }
  }
  return out;
}

/** sum_ij y_ij * w_ij: a scalar loss with a non-trivial upstream gradient w. */
export function weightedSum(y: number[][], w: number[][]): number {
  let s = 0;
  y.forEach((row, i) => row.forEach((v, j) => (s += v * w[i][j])));
  return s;
}

/** Mean over rows of -log softmax(logits)[label], and the fraction with argmax != label (ties: lowest index). */
export function nllAndErrorRef(logits: number[][], labels: number[]): { nll: number; error: number } {
  let nll = 0;
  let errors = 0;
  logits.forEach((row, i) => {
    const max = Math.max(...row);
    const logZ = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    nll += logZ - row[labels[i]];
    if (row.indexOf(max) !== labels[i]) errors += 1;
  });
  return { nll: nll / logits.length, error: errors / logits.length };
}
