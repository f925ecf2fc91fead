// A float64 reference of Graves' (2013, section 4) mixture-density point NLL, written independently of src/
// (eqs. 23-26), for test/mdn.test.ts and the handwriting network's reference (test/handwriting.test.ts).
// The row layout written out here, independently of src: column 0 the pen logit, then blocks of M columns.
export const [LOGIT, MU1, MU2, LOG_SIGMA1, LOG_SIGMA2, RHO_HAT] = [0, 1, 2, 3, 4, 5];
export const col = (mixtures: number, block: number, j: number) => 1 + block * mixtures + j;

/** log Σ exp(v) with the max shifted out. */
export function logSumExpRef(v: number[]): number {
  const top = Math.max(...v);
  return top + Math.log(v.reduce((s, x) => s + Math.exp(x - top), 0));
}

/**
 * log N(x1, x2 | μ, σ, ρ = tanh(ρ̂)) in float64 (eqs. 24-25). 1 - ρ² = 4 / (e^ρ̂ + e^-ρ̂)², and Z = z1² + z2² - 2ρ z1 z2
 * completed to a square on the side ρ leans to, (z1 ∓ z2)² ± 2 (1 ∓ ρ) z1 z2 with 1 ∓ ρ = 2 / (1 + e^(±2ρ̂)): tanh
 * rounds to ±1 in float64 too for |ρ̂| > 19, and near the ridge z1 = ±z2 the naive Z cancels.
 */
export function logDensityRef(
  x: [number, number],
  mu: [number, number],
  logSigma: [number, number],
  rhoHat: number,
): number {
  const [z1, z2] = [(x[0] - mu[0]) / Math.exp(logSigma[0]), (x[1] - mu[1]) / Math.exp(logSigma[1])];
  const oneMinusRho2 = 4 / (Math.exp(rhoHat) + Math.exp(-rhoHat)) ** 2;
  const z =
    rhoHat >= 0
      ? (z1 - z2) ** 2 + 2 * (2 / (1 + Math.exp(2 * rhoHat))) * z1 * z2
      : (z1 + z2) ** 2 - 2 * (2 / (1 + Math.exp(-2 * rhoHat))) * z1 * z2;
  return -Math.log(2 * Math.PI) - logSigma[0] - logSigma[1] - 0.5 * Math.log(oneMinusRho2) - z / (2 * oneMinusRho2);
}

/** The textbook formula, for checking logDensityRef where it is accurate (|ρ̂| small, off the ridge). */
export function logDensityNaive(
  x: [number, number],
  mu: [number, number],
  logSigma: [number, number],
  rhoHat: number,
): number {
  const [s1, s2, rho] = [Math.exp(logSigma[0]), Math.exp(logSigma[1]), Math.tanh(rhoHat)];
  const [z1, z2] = [(x[0] - mu[0]) / s1, (x[1] - mu[1]) / s2];
  const z = z1 * z1 + z2 * z2 - 2 * rho * z1 * z2;
  return Math.log(Math.exp(-z / (2 * (1 - rho * rho))) / (2 * Math.PI * s1 * s2 * Math.sqrt(1 - rho * rho)));
}

/** -log Σ_j π_j N_j - log p(pen) of one point (eq. 26), in float64. */
export function nllRef(row: number[], target: number[], mixtures: number, density = logDensityRef): number {
  const at = (block: number, j: number) => row[col(mixtures, block, j)];
  const logits = Array.from({ length: mixtures }, (_, j) => at(LOGIT, j));
  const logZ = logSumExpRef(logits);
  const terms = logits.map(
    (logit, j) =>
      logit -
      logZ +
      density([target[0], target[1]], [at(MU1, j), at(MU2, j)], [at(LOG_SIGMA1, j), at(LOG_SIGMA2, j)], at(RHO_HAT, j)),
  );
  const p = 1 / (1 + Math.exp(-row[0]));
  return -logSumExpRef(terms) - Math.log(target[2] === 1 ? p : 1 - p);
}
