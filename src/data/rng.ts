// Seeded randomness: one named stream per purpose, so adding a consumer never shifts another's numbers.
import seedrandom from 'seedrandom';

export type Rng = () => number;

/** A generator in [0, 1) determined by (seed, purpose), e.g. rngFor(1, 'shuffle', 3) for epoch 3's shuffle. */
export function rngFor(seed: number, ...purpose: (string | number)[]): Rng {
  return seedrandom.alea([seed, ...purpose].join('/'));
}

/** Fisher-Yates, in place. */
function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(arr: T, rng: Rng): T {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = arr[i];
    arr[i] = arr[j];
    arr[j] = tmp;
  }
  return arr;
}

/** A random permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, rng);
}

/** `count` of 0..n-1 drawn without replacement, in increasing order: a seeded subset kept in the data's order. */
export const orderedSample = (n: number, count: number, rng: Rng): Int32Array =>
  permutation(n, rng).slice(0, count).sort();
