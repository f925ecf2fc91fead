// The images a run asks for: its source's seeded train and test subsets, optionally binarized (DRAW) or with one
// fixed pixel permutation (the permutation-invariant MLP sees no spatial structure anyway).
import { SOURCES } from './catalog';
import { permutation, rngFor } from './rng';
import type { DataFields } from './schema';
import type { Prepare } from './sources/types';
import { imageSize, type Dataset, type ImageSet } from './types';

function permutePixels(set: ImageSet, perm: Int32Array): ImageSet {
  const dims = perm.length;
  const images = new Float32Array(set.images.length);
  for (let r = 0; r < set.count; r++) {
    const base = r * dims;
    for (let j = 0; j < dims; j++) images[base + j] = set.images[base + perm[j]];
  }
  return { ...set, images };
}

/**
 * Each pixel 1 with its intensity as probability, else 0, drawn once from the (seed, purpose) stream over the
 * set in file order: stochastic binarization as Salakhutdinov & Murray (2008) made the dataset DRAW's bounds are
 * reported on (a sample of our own, not their file). Applied to a whole source file before subsets are taken, so
 * an image's bits depend on data.seed and the image only. Thresholding would give an easier dataset whose bounds
 * do not compare.
 */
export function binarize(set: ImageSet, seed: number, purpose: string): ImageSet {
  const rng = rngFor(seed, purpose);
  return { ...set, images: set.images.map((p) => (rng() < p ? 1 : 0)) };
}

/** The run's images from data.source, each whole source file changed by `prepare` first (e.g. binarize). */
export function loadImages(cfg: DataFields, prepare: Prepare = (s) => s): Dataset<ImageSet> {
  const data = SOURCES[cfg.source].load(cfg, prepare);
  if (!cfg.permute) return data;
  const perm = permutation(imageSize(data.train), rngFor(cfg.seed, 'pixels'));
  return { ...data, train: permutePixels(data.train, perm), test: permutePixels(data.test, perm) };
}
