// Checks of a whole IDX split (the loader's output) against facts about its files computed without the loader
// (Python's gzip and struct), and what a data source serves from them: shared by the real-file tests of
// Fashion-MNIST and MNIST.
import assert from 'node:assert/strict';
import { loadImages } from '../src/data/images';
import { IDX_DIR } from '../src/data/sources/idx';
import type { ImageSet } from '../src/data/types';
import { UserError } from '../src/errors';

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

/**
 * Asserts what data.source `source` serves from its real files: the full splits in file order (test image 1's
 * pixel sum `testImage1Sum`), seeded subsets, its `origin`, and a UserError matching `tooMany` for 60,001 examples.
 */
export function assertServesSource(
  source: 'mnist' | 'fashion',
  expect: { testImage1Sum: number; origin: RegExp; tooMany: RegExp },
): void {
  const base = { source, dir: IDX_DIR, seed: 0, permute: false } as const;
  const full = loadImages({ ...base, train: 60000, test: 10000 });
  assert.equal(full.train.count, 60000);
  assert.equal(full.test.count, 10000);
  assert.equal(byteSum(full.test.images, 1), expect.testImage1Sum);
  assert.match(full.origin, expect.origin);
  const some = loadImages({ ...base, train: 500, test: 100 });
  assert.equal(some.train.count, 500);
  assert.equal(some.test.count, 100);
  assert.throws(
    () => loadImages({ ...base, train: 60001, test: 10 }),
    (e: unknown) => e instanceof UserError && expect.tooMany.test(e.message),
  );
}
