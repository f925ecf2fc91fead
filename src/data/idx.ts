// The standard MNIST IDX files (plain or .gz): parsed with every header field and length checked.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../errors';
import { IMAGE_SIDE, type Split } from './types';

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

/** data.source idx: MNIST in data.dir, fetched by `make data`. */
export function mnistSource(dir: string): IdxSource {
  const fetch = 'run `make data` to download MNIST (data-scripts/fetch-mnist.sh)';
  return {
    dir,
    kind: 'IDX',
    label: `data.dir "${dir}"`,
    missing: fetch,
    corrupt: `delete it and ${fetch}`,
    origin: `idx (${dir})`,
  };
}

/** data.source fashion: Debian's dataset-fashion-mnist (--reinstall also restores a deleted or damaged file). */
export function fashionSource(dir: string): IdxSource {
  const apt = '`sudo apt-get install --reinstall dataset-fashion-mnist`';
  return {
    dir,
    kind: 'Fashion-MNIST',
    label: `data.source fashion (${dir})`,
    missing: `install Debian's Fashion-MNIST: ${apt}; elsewhere use data.source idx with data.dir naming a folder of the Fashion-MNIST IDX files`,
    corrupt: `reinstall it: ${apt}`,
    origin: `fashion (Fashion-MNIST, Debian dataset-fashion-mnist, ${dir})`,
  };
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
  const bad = labels.findIndex((l) => l > 9);
  if (bad >= 0) throw new IdxError(`label ${labels[bad]} at index ${bad} is not a digit`);
  return labels;
}

/** Reads `name` or `name.gz` from `dir`, whichever exists (plain first). */
function readMaybeGz(source: IdxSource, name: string): { path: string; buf: Buffer } {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(source.dir, candidate);
    if (!existsSync(path)) continue;
    let buf = readFileSync(path);
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
export function loadIdxSplit(source: IdxSource, prefix: 'train' | 't10k'): Split {
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
  return { images: scaled, labels: new Uint8Array(labels), count: images.count };
}
