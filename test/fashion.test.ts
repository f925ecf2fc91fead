// The IDX loader on real files: Debian's Fashion-MNIST (dataset-fashion-mnist), all 70,000 images and labels, and
// data.source fashion. Skipped, saying how to install the files, where they are absent; CI installs them and sets
// LN_REPRO_REQUIRE_FASHION=1, so that there a missing package fails instead of skipping.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConfigSchema } from '../src/config/schema';
import { loadIdxSplit } from '../src/data/idx';
import { FASHION_DIR, fashionSource } from '../src/data/sources/fashion';
import { UserError } from '../src/errors';
import { assertServesSource, assertSplitFacts } from './idx-facts';

const DIR = FASHION_DIR;
const present = existsSync(join(DIR, 'train-images-idx3-ubyte.gz'));
const required = process.env.LN_REPRO_REQUIRE_FASHION === '1';
const skip =
  present || required
    ? false
    : `Fashion-MNIST is not installed in ${DIR}: \`sudo apt-get install dataset-fashion-mnist\` (make data-fashion) runs these tests`;

/**
 * Facts about the files, computed with Python's gzip and struct (not this loader): pixel sums (bytes 0..255) of
 * the first three images and the last, labels of the same images, the sum over all pixels. Every class has 6,000
 * training and 1,000 test images (Xiao et al. 2017); the first training image is an ankle boot (9).
 */
const KNOWN = {
  train: {
    count: 60000,
    perClass: new Array<number>(10).fill(6000),
    at: { 0: [9, 76247], 1: [0, 84598], 2: [0, 28662], 59999: [5, 16684] },
    total: 3431114169,
  },
  t10k: {
    count: 10000,
    perClass: new Array<number>(10).fill(1000),
    at: { 0: [9, 33456], 1: [2, 100994], 2: [1, 51520], 9999: [5, 24390] },
    total: 573469082,
  },
} as const;

describe('Fashion-MNIST from Debian (real IDX files)', { skip }, () => {
  for (const prefix of ['train', 't10k'] as const) {
    it(`reads all ${KNOWN[prefix].count} ${prefix} images and labels: counts, label histogram, pixel sums`, () => {
      const known = KNOWN[prefix];
      const split = loadIdxSplit(fashionSource(DIR), prefix);
      assertSplitFacts(split, known);
    });
  }

  it('serves data.source fashion: full splits in file order, seeded subsets, the origin named', () => {
    assertServesSource('fashion', {
      testImage1Sum: KNOWN.t10k.at[1][1],
      origin: /Fashion-MNIST.*dataset-fashion-mnist/,
      tooMany:
        /data.train: asked for 60001 examples, the Fashion-MNIST training \(\/usr\/share\/datasets\/fashion-mnist\) data has 60000/,
    });
  });
});

describe('data.source fashion without the files or with a data.dir', () => {
  it('says how to install the package when a file is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ln-repro-fashion-'));
    assert.throws(
      () => loadIdxSplit(fashionSource(empty), 'train'),
      (e: unknown) =>
        e instanceof UserError &&
        e.message.startsWith(`data.source fashion (${empty}): missing train-images-idx3-ubyte`) &&
        e.message.includes('apt-get install --reinstall dataset-fashion-mnist'),
    );
  });

  it('refuses a data.dir, which only data.source idx reads', () => {
    const config = {
      name: 'f',
      data: { source: 'fashion', dir: '/somewhere', train: 1000, test: 10 },
      model: { kind: 'mlp' },
    };
    const result = runConfigSchema.safeParse(config);
    assert.equal(result.success, false);
    assert.deepEqual(result.error?.issues[0].path, ['data', 'dir']);
    assert.match(result.error?.issues[0].message ?? '', /applies to data.source idx only/);
    assert.equal(runConfigSchema.safeParse({ ...config, data: { ...config.data, dir: undefined } }).success, true);
  });
});
