// The standard MNIST IDX files (plain or .gz): parsed with every header field and length checked, read from a
// source's folder with messages that name the file and the source's own fix.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../errors';
import { fileAt, fsReason } from '../util/fs';
import { CLASSES, IMAGE_SIDE, MNIST_SHAPE } from './mnist';
import { permutation, rngFor } from './rng';
import type { ImageSourceConfig, Prepare } from './sources/types';
import { pickImages, type Dataset, type ImageSet } from './types';

const IMAGES_MAGIC = 0x00000803; // unsigned bytes, 3 dimensions
const LABELS_MAGIC = 0x00000801; // unsigned bytes, 1 dimension

/**
 * A set of IDX files: their folder, what messages call them (`kind`, `label`), what to do about a missing or a
 * corrupt file, and the dataset's `origin` as runs record it.
 */
export interface IdxSource {
  dir: string;
  kind: string;
  label: string;
  missing: string;
  corrupt: string;
  origin: string;
}

export class IdxError extends Error {}

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** [count, rows*cols] bytes 0..255. */
  pixels: Uint8Array;
}

function header(buf: Buffer, words: number): number[] {
  if (buf.length < 4 * words)
    throw new IdxError(`file is ${buf.length} bytes, shorter than its ${4 * words}-byte header`);
  return Array.from({ length: words }, (_, i) => buf.readUInt32BE(4 * i));
}

function body(buf: Buffer, offset: number, expected: number): Uint8Array {
  const have = buf.length - offset;
  if (have !== expected)
    throw new IdxError(
      `header promises ${expected} data bytes, file has ${have} (${have < expected ? 'truncated' : 'trailing bytes'})`,
    );
  return new Uint8Array(buf.buffer, buf.byteOffset + offset, expected);
}

export function parseIdxImages(buf: Buffer): IdxImages {
  const [magic, count, rows, cols] = header(buf, 4);
  if (magic !== IMAGES_MAGIC)
    throw new IdxError(
      `bad magic number 0x${magic.toString(16).padStart(8, '0')}, expected 0x00000803 (an IDX image file)`,
    );
  if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE)
    throw new IdxError(`images are ${rows}x${cols}, expected ${IMAGE_SIDE}x${IMAGE_SIDE}`);
  return { count, rows, cols, pixels: body(buf, 16, count * rows * cols) };
}

export function parseIdxLabels(buf: Buffer): Uint8Array {
  const [magic, count] = header(buf, 2);
  if (magic !== LABELS_MAGIC)
    throw new IdxError(
      `bad magic number 0x${magic.toString(16).padStart(8, '0')}, expected 0x00000801 (an IDX label file)`,
    );
  const labels = body(buf, 8, count);
  const bad = labels.findIndex((l) => l >= CLASSES);
  if (bad >= 0) throw new IdxError(`label ${labels[bad]} at index ${bad} is not a digit`);
  return labels;
}

/**
 * Reads `name` or `name.gz` from `dir`, whichever exists (plain first); anything but a regular file there (a folder, a
 * FIFO, a device, a link loop or a link to nothing) is refused, naming it.
 */
function readMaybeGz(source: IdxSource, name: string): { path: string; buf: Buffer } {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(source.dir, candidate);
    const at = fileAt(path); // before opening: a FIFO would wait for a writer forever
    if (at === 'none') continue;
    if (at !== 'file') throw new UserError(`${source.label}: ${path}: ${at.problem}; ${source.corrupt}`);
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch (err) {
      throw new UserError(`${source.label}: ${path}: cannot be read: ${fsReason(err)}`);
    }
    if (candidate.endsWith('.gz')) {
      try {
        buf = gunzipSync(buf);
      } catch (err) {
        throw new UserError(`${path}: corrupt gzip file (${(err as Error).message}); ${source.corrupt}`);
      }
    }
    return { path, buf };
  }
  throw new UserError(`${source.label}: missing ${name} (or ${name}.gz); ${source.missing}`);
}

/** One IDX split (`train` or `t10k`) as pixels in [0, 1]. */
export function loadIdxSplit(source: IdxSource, prefix: 'train' | 't10k'): ImageSet {
  const img = readMaybeGz(source, `${prefix}-images-idx3-ubyte`);
  const lab = readMaybeGz(source, `${prefix}-labels-idx1-ubyte`);
  let images: IdxImages;
  let labels: Uint8Array;
  try {
    images = parseIdxImages(img.buf);
  } catch (err) {
    if (err instanceof IdxError)
      throw new UserError(`${img.path}: corrupt IDX file: ${err.message}; ${source.corrupt}`);
    throw err;
  }
  try {
    labels = parseIdxLabels(lab.buf);
  } catch (err) {
    if (err instanceof IdxError)
      throw new UserError(`${lab.path}: corrupt IDX file: ${err.message}; ${source.corrupt}`);
    throw err;
  }
  if (labels.length !== images.count) {
    throw new UserError(
      `${lab.path}: ${labels.length} labels for ${images.count} images in ${img.path}; ${source.corrupt}`,
    );
  }
  const scaled = new Float32Array(images.pixels.length);
  for (let i = 0; i < scaled.length; i++) scaled[i] = images.pixels[i] / 255;
  return { images: scaled, labels: new Uint8Array(labels), count: images.count, shape: MNIST_SHAPE, classes: CLASSES };
}

function tooFew(key: string, asked: number, have: number, source: string): UserError {
  return new UserError(`data.${key}: asked for ${asked} examples, the ${source} data has ${have}`);
}

/** A seeded subset of `count` examples of `set`, or all of it (in file order) when count equals its size. */
function subset(set: ImageSet, count: number, seed: number, purpose: string): ImageSet {
  if (count === set.count) return set;
  return pickImages(set, permutation(set.count, rngFor(seed, purpose)).subarray(0, count));
}

/** The train and t10k files of an IDX source, seeded subsets of each. */
export function loadIdx(
  cfg: Pick<ImageSourceConfig, 'train' | 'test' | 'seed'>,
  prepare: Prepare,
  source: IdxSource,
): Dataset<ImageSet> {
  const train = prepare(loadIdxSplit(source, 'train'), 'binarize-train');
  const test = prepare(loadIdxSplit(source, 't10k'), 'binarize-test');
  const { kind, dir } = source;
  if (cfg.train > train.count) throw tooFew('train', cfg.train, train.count, `${kind} training (${dir})`);
  if (cfg.test > test.count) throw tooFew('test', cfg.test, test.count, `${kind} test (${dir})`);
  return {
    train: subset(train, cfg.train, cfg.seed, 'train-subset'),
    test: subset(test, cfg.test, cfg.seed, 'test-subset'),
    origin: source.origin,
  };
}
