// Checks of a whole IDX split (the loader's output) against facts about its files computed without the loader
// (Python's gzip and struct): shared by the real-file tests of Fashion-MNIST and MNIST.
import assert from 'node:assert/strict';
import type { ImageSet } from '../src/data/types';

/** Facts about one split's files: its count, images per class, label and pixel sum of some images, total pixels. */
export interface SplitFacts {
  count: number;
  /** Images of each class 0..9. */
  perClass: readonly number[];
  /** By image index: [label, sum of its bytes 0..255]. */
  at: Readonly<Record<number, readonly [number, number]>>;
  /** The sum over all pixels' bytes. */
  total: number;
}

/** The bytes of image i again (the loader returns them divided by 255). */
export function byteSum(images: Float32Array, i: number): number {
  let sum = 0;
  for (let p = i * 784; p < (i + 1) * 784; p++) sum += Math.round(images[p] * 255);
  return sum;
}

/** Asserts that `split` holds what `known` says its files hold. */
export function assertSplitFacts(split: ImageSet, known: SplitFacts): void {
  assert.equal(split.count, known.count);
  assert.equal(split.labels.length, known.count);
  assert.equal(split.images.length, known.count * 784);
  const histogram = new Array<number>(10).fill(0);
  for (const label of split.labels) histogram[label]++;
  assert.deepEqual(histogram, known.perClass);
  for (const [index, [label, sum]] of Object.entries(known.at)) {
    assert.equal(split.labels[Number(index)], label, `label of image ${index}`);
    assert.equal(byteSum(split.images, Number(index)), sum, `pixel sum of image ${index}`);
  }
  let total = 0;
  for (let i = 0; i < split.count; i++) total += byteSum(split.images, i);
  assert.equal(total, known.total);
}
