// Data: IDX parsing (generated, gzipped, truncated, bad magic, missing), bundled split, permutation, shuffles.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { IdxError, loadIdxSplit, parseIdxImages, parseIdxLabels } from '../src/data/idx';
import { loadImages } from '../src/data/images';
import { mnistSource } from '../src/data/sources/idx';
import { imageSize, pickImages, pickSequences, pickTokens, type SequenceSet, type TokenSet } from '../src/data/types';
import { UserError } from '../src/errors';
import { epochBatches, stepsPerEpoch } from '../src/train/batches';

function idxImages(count: number, fill: (i: number, p: number) => number, rows = 28, cols = 28): Buffer {
  const buf = Buffer.alloc(16 + count * rows * cols);
  buf.writeUInt32BE(0x803, 0);
  buf.writeUInt32BE(count, 4);
  buf.writeUInt32BE(rows, 8);
  buf.writeUInt32BE(cols, 12);
  for (let i = 0; i < count; i++) for (let p = 0; p < rows * cols; p++) buf[16 + i * rows * cols + p] = fill(i, p);
  return buf;
}

function idxLabels(labels: number[]): Buffer {
  const buf = Buffer.alloc(8 + labels.length);
  buf.writeUInt32BE(0x801, 0);
  buf.writeUInt32BE(labels.length, 4);
  labels.forEach((l, i) => (buf[8 + i] = l));
  return buf;
}

function writeIdxDir(opts: { gz?: boolean; trainImages?: Buffer } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'ln-repro-idx-'));
  const put = (name: string, buf: Buffer) =>
    writeFileSync(join(dir, opts.gz ? `${name}.gz` : name), opts.gz ? gzipSync(buf) : buf);
  put('train-images-idx3-ubyte', opts.trainImages ?? idxImages(6, (i, p) => (i * 40 + p) % 256));
  put('train-labels-idx1-ubyte', idxLabels([0, 1, 2, 3, 4, 5]));
  put(
    't10k-images-idx3-ubyte',
    idxImages(3, (i) => i * 100),
  );
  put('t10k-labels-idx1-ubyte', idxLabels([7, 8, 9]));
  return dir;
}

describe('IDX files', () => {
  it('parses a generated image and label file', () => {
    const img = parseIdxImages(idxImages(2, (i, p) => (i + p) % 256));
    assert.equal(img.count, 2);
    assert.equal(img.pixels[784 + 5], 6);
    assert.deepEqual(Array.from(parseIdxLabels(idxLabels([3, 1, 4]))), [3, 1, 4]);
  });

  it('loads plain and gzipped splits with pixels scaled to [0, 1]', () => {
    for (const gz of [false, true]) {
      const split = loadIdxSplit(mnistSource(writeIdxDir({ gz })), 'train');
      assert.equal(split.count, 6);
      assert.deepEqual(Array.from(split.labels), [0, 1, 2, 3, 4, 5]);
      assert.equal(split.images[784 * 2 + 10], Math.fround(((2 * 40 + 10) % 256) / 255));
    }
  });

  it('rejects a truncated file', () => {
    const full = idxImages(2, () => 1);
    assert.throws(
      () => parseIdxImages(full.subarray(0, full.length - 3)),
      (e: unknown) => e instanceof IdxError && /truncated/.test(e.message),
    );
    assert.throws(() => parseIdxLabels(idxLabels([1, 2]).subarray(0, 5)), /shorter than its 8-byte header/);
  });

  it('rejects a bad magic number, wrong image size and non-digit labels', () => {
    const bad = idxImages(1, () => 0);
    bad.writeUInt32BE(0x801, 0);
    assert.throws(() => parseIdxImages(bad), /bad magic number 0x00000801/);
    assert.throws(() => parseIdxImages(idxImages(1, () => 0, 32, 32)), /32x32/);
    assert.throws(() => parseIdxLabels(idxLabels([1, 12])), /label 12/);
  });

  it('turns a corrupt or missing file into a user error that says to run make data', () => {
    const dir = writeIdxDir({ trainImages: idxImages(6, () => 0).subarray(0, 100) });
    assert.throws(
      () => loadIdxSplit(mnistSource(dir), 'train'),
      (e: unknown) =>
        e instanceof UserError &&
        /train-images-idx3-ubyte: corrupt IDX file/.test(e.message) &&
        /make data/.test(e.message),
    );
    const empty = mkdtempSync(join(tmpdir(), 'ln-repro-empty-'));
    assert.throws(
      () => loadIdxSplit(mnistSource(empty), 'train'),
      (e: unknown) =>
        e instanceof UserError && /missing train-images-idx3-ubyte/.test(e.message) && /make data/.test(e.message),
    );
  });

  it('checks that images and labels agree in number', () => {
    const dir = writeIdxDir({ trainImages: idxImages(5, () => 0) });
    assert.throws(() => loadIdxSplit(mnistSource(dir), 'train'), /6 labels for 5 images/);
  });

  it('serves data.source idx with seeded subsets', () => {
    const dir = writeIdxDir();
    const d = loadImages({ source: 'idx', dir, train: 4, test: 3, seed: 0, permute: false });
    assert.equal(d.train.count, 4);
    assert.deepEqual(Array.from(d.test.labels), [7, 8, 9], 'all of a split is kept in file order');
    assert.throws(
      () => loadImages({ source: 'idx', dir, train: 7, test: 3, seed: 0, permute: false }),
      /data.train: asked for 7/,
    );
  });
});

describe('bundled MNIST', () => {
  const cfg = {
    source: 'bundled' as const,
    dir: '',
    train: 300,
    test: 100,
    seed: 5,
    permute: false,
  };

  it('splits real digits into disjoint train and test sets by data.seed', () => {
    const a = loadImages(cfg);
    assert.equal(a.train.count, 300);
    assert.equal(a.test.count, 100);
    assert.equal(imageSize(a.train), 784);
    assert.deepEqual([a.train.shape, a.train.classes], [[28, 28, 1], 10]);
    const max = a.train.images.reduce((m, v) => Math.max(m, v), 0);
    assert.ok(max > 0.9 && max <= 1, 'pixels in [0, 1]');
    assert.ok(new Set(a.train.labels).size === 10, 'every digit appears');
    const key = (img: Float32Array, i: number) => img.subarray(i * 784, (i + 1) * 784).join(',');
    const trainKeys = new Set(Array.from({ length: 300 }, (_, i) => key(a.train.images, i)));
    assert.ok(
      Array.from({ length: 100 }, (_, i) => key(a.test.images, i)).every((k) => !trainKeys.has(k)),
      'disjoint',
    );
    assert.deepEqual(loadImages(cfg).train.labels, a.train.labels, 'same seed, same split');
    assert.notDeepEqual(loadImages({ ...cfg, seed: 6 }).train.labels, a.train.labels, 'other seed, other split');
  });

  it('applies one fixed pixel permutation to every image', () => {
    const plain = loadImages(cfg);
    const perm = loadImages({ ...cfg, permute: true });
    assert.deepEqual(perm.train.labels, plain.train.labels);
    const sorted = (img: Float32Array, i: number) => Array.from(img.subarray(i * 784, (i + 1) * 784)).sort();
    assert.deepEqual(sorted(perm.train.images, 0), sorted(plain.train.images, 0));
    assert.notDeepEqual(perm.train.images.subarray(0, 784), plain.train.images.subarray(0, 784));
    // The same permutation for every image: find where pixel j of image 0 went, check image 1 moved alike.
    const j = plain.train.images.subarray(0, 784).findIndex((v) => v > 0.5);
    const to = perm.train.images
      .subarray(0, 784)
      .findIndex((v, k) => v === plain.train.images[j] && plain.train.images[784 + j] === perm.train.images[784 + k]);
    assert.ok(to >= 0);
  });

  it('rejects asking for more digits than are bundled', () => {
    assert.throws(
      () => loadImages({ ...cfg, train: 9000, test: 2000 }),
      (e: unknown) => e instanceof UserError && /data.train \+ data.test/.test(e.message),
    );
  });
});

describe('examples of each kind', () => {
  it('picks images, vector sequences and token sequences by index, in the order asked', () => {
    const images = pickImages(
      {
        images: Float32Array.from([1, 2, 3, 4, 5, 6]),
        labels: Uint8Array.from([7, 8, 9]),
        count: 3,
        shape: [1, 2, 1],
        classes: 10,
      },
      [2, 0],
    );
    assert.deepEqual([Array.from(images.images), Array.from(images.labels), images.count], [[5, 6, 1, 2], [9, 7], 2]);
    // Three pen-stroke sequences of (dx, dy, pen-up) points: 2, 1 and 3 points long.
    const strokes: SequenceSet = {
      width: 3,
      offsets: Int32Array.from([0, 2, 3, 6]),
      values: Float32Array.from({ length: 18 }, (_, i) => i),
      count: 3,
    };
    const picked = pickSequences(strokes, [2, 1, 2]);
    assert.deepEqual(Array.from(picked.offsets), [0, 3, 4, 7]);
    assert.deepEqual(Array.from(picked.values.subarray(0, 12)), [9, 10, 11, 12, 13, 14, 15, 16, 17, 6, 7, 8]);
    assert.equal(picked.count, 3);
    const text: TokenSet = {
      ids: Int32Array.from([4, 1, 2, 0, 3]),
      offsets: Int32Array.from([0, 1, 3, 5]),
      vocabulary: ['a', 'b', 'c', 'd', 'e'],
      count: 3,
    };
    const words = pickTokens(text, [1]);
    assert.deepEqual(
      [Array.from(words.ids), Array.from(words.offsets), words.vocabulary],
      [[1, 2], [0, 2], text.vocabulary],
    );
    assert.deepEqual(Array.from(pickTokens(text, []).offsets), [0], 'an empty pick has no tokens');
  });
});

describe('epoch shuffles', () => {
  it('cover every example once per epoch, differ between epochs, repeat with the seed', () => {
    const e1 = epochBatches(10, 4, 1, 1);
    assert.deepEqual(
      e1.map((b) => b.length),
      [4, 4, 2],
    );
    assert.deepEqual(
      e1.flatMap((b) => Array.from(b)).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.notDeepEqual(epochBatches(10, 4, 1, 2), e1);
    assert.deepEqual(epochBatches(10, 4, 1, 1), e1);
  });

  it('fold a last batch of one example into the batch before, and say so in the step count', () => {
    const sizes = (count: number, batchSize: number) => epochBatches(count, batchSize, 1, 1).map((b) => b.length);
    assert.deepEqual(sizes(9, 4), [4, 5]);
    assert.deepEqual(sizes(129, 128), [129]);
    assert.deepEqual(sizes(10, 3), [3, 3, 4]);
    assert.deepEqual(sizes(8, 4), [4, 4]);
    assert.deepEqual(sizes(3, 1), [1, 1, 1], 'batch size 1 asks for batches of one');
    assert.deepEqual(sizes(1, 4), [1], 'a single example has no batch to join');
    assert.deepEqual(
      epochBatches(9, 4, 1, 1)
        .flatMap((b) => Array.from(b))
        .sort(),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    for (const [count, batchSize] of [
      [9, 4],
      [129, 128],
      [10, 3],
      [8, 4],
      [3, 1],
    ])
      assert.equal(stepsPerEpoch(count, batchSize), sizes(count, batchSize).length);
  });
});
