// The hanzi stroke data: the conversion against a character worked by hand (resampling, stroke order, pen-ups,
// offsets), lines of characters, the every-10th split and the train-only scale on a synthetic set, the package's
// messages, and the real hanzi-writer-data 2.0.1 against counts computed here from its files.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../src/errors';
import {
  groupLines,
  hanziSequences,
  lineVectors,
  linesToSet,
  resampleStroke,
  splitCharacters,
  type Character,
} from '../src/data/strokes/hanzi';
import { hanziDataDir, loadHanzi, loadHanziCharacters } from '../src/data/strokes/hanzi-data';

const close = (actual: ArrayLike<number>, expected: readonly number[], tol = 1e-9) => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
};

/**
 * Two strokes on the source grid (y up, the em box's top at y = 900), spacing 20:
 * - stroke 1, (100,800) -> (160,800): length 60, ceil(60/20) = 3 steps of 20: x = 100, 120, 140, 160. On screen
 *   (y = 900 - y) all at y = 100.
 * - stroke 2, (130,850) -> (130,840) -> (160,840): length 10 + 30 = 40, 2 steps of 20. Arc length 20 lies 10 into
 *   the second segment (t = 1/3): (140,840); the corner (130,840) is not kept. On screen (130,50), (140,60),
 *   (160,60).
 * Offsets from the box's top-left (0,0): (100,100) (20,0) (20,0) (20,0 pen-up) | (130-160, 50-100) = (-30,-50),
 * (10,10), (20,0 pen-up).
 */
const HAND: Character = {
  char: 'x',
  medians: [
    [
      [100, 800],
      [160, 800],
    ],
    [
      [130, 850],
      [130, 840],
      [160, 840],
    ],
  ],
};
const HAND_VECTORS = [100, 100, 0, 20, 0, 0, 20, 0, 0, 20, 0, 1, -30, -50, 0, 10, 10, 0, 20, 0, 1];

describe('hanzi conversion, worked by hand', () => {
  it('resamples a stroke at equal steps of at most the spacing, both endpoints kept', () => {
    assert.deepEqual(resampleStroke(HAND.medians[0], 20), [
      [100, 800],
      [120, 800],
      [140, 800],
      [160, 800],
    ]);
    close(resampleStroke(HAND.medians[1], 20).flat(), [130, 850, 140, 840, 160, 840]);
    // Length 50: ceil(50/20) = 3 steps of 50/3, not 20, 20 and a sliver of 10.
    close(
      resampleStroke(
        [
          [0, 0],
          [50, 0],
        ],
        20,
      ).flat(),
      [0, 0, 50 / 3, 0, 100 / 3, 0, 50, 0],
    );
    // Shorter than a step: the two endpoints; zero length: one point.
    assert.deepEqual(
      resampleStroke(
        [
          [0, 0],
          [3, 4],
        ],
        20,
      ),
      [
        [0, 0],
        [3, 4],
      ],
    );
    assert.deepEqual(
      resampleStroke(
        [
          [7, 7],
          [7, 7],
        ],
        20,
      ),
      [[7, 7]],
    );
  });

  it('joins the strokes in order as screen offsets with pen-up on each stroke last point', () => {
    close(lineVectors([HAND], 20), HAND_VECTORS);
    const reversed: Character = { char: 'y', medians: [HAND.medians[1], HAND.medians[0]] };
    // Stroke 2 first: (130,50) from the origin, (10,10), (20,0 up), then stroke 1 from (160,60): (-60,40) ...
    close(lineVectors([reversed], 20), [130, 50, 0, 10, 10, 0, 20, 0, 1, -60, 40, 0, 20, 0, 0, 20, 0, 0, 20, 0, 1]);
  });

  it('draws each character of a line one em box right of the one before', () => {
    // The second copy's first point, (100 + 1024, 100), from the first copy's last, (160, 60): (964, 40).
    const second = [964, 40, 0, ...HAND_VECTORS.slice(3)];
    close(lineVectors([HAND, HAND], 20), [...HAND_VECTORS, ...second]);
    const set = linesToSet([[HAND], [HAND, HAND]], 20);
    assert.equal(set.count, 2);
    assert.deepEqual([...set.offsets], [0, 7, 21]);
    close(set.values, [...HAND_VECTORS, ...HAND_VECTORS, ...second]);
  });
});

/** Character i: one stroke from (0, 900) to (20 * (i + 1), 900 - 10 * i), so every character differs. */
const synthetic = (n: number): Character[] =>
  Array.from({ length: n }, (_, i) => ({
    char: String(i),
    medians: [
      [
        [0, 900],
        [20 * (i + 1), 900 - 10 * i],
      ],
    ],
  }));

/** Population standard deviation in float64. */
const std = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
};

describe('hanzi split, lines and scale', () => {
  it('sends every 10th character (indices 9, 19, ...) to test and groups whole lines only', () => {
    const ids = Array.from({ length: 25 }, (_, i) => i);
    const { train, test } = splitCharacters(ids);
    assert.deepEqual(test, [9, 19]);
    assert.equal(train.length, 23);
    assert.ok(!train.includes(9) && !train.includes(19));
    assert.throws(() => groupLines(train, 0), RangeError);
    assert.throws(() => groupLines(train, 1.5), RangeError);
    assert.deepEqual(groupLines(train.slice(0, 7), 3), [
      [0, 1, 2],
      [3, 4, 5],
    ]);
  });

  it('scales both splits by the training split standard deviation of dx and dy', () => {
    const chars = synthetic(40);
    const out = hanziSequences({ characters: chars, charsPerSequence: 2, spacing: 20 });
    // 36 training characters in 18 lines, 4 test characters in 2 lines.
    assert.deepEqual(out.meta.characters, { train: 36, test: 4 });
    assert.equal(out.train.count, 18);
    assert.equal(out.test.count, 2);
    const trainChars = chars.filter((_, i) => i % 10 !== 9);
    // Offsets in float32, as the set stores them before scaling.
    const raw = [...Float32Array.from(groupLines(trainChars, 2).flatMap((l) => lineVectors(l, 20)))];
    const dx = raw.filter((_, i) => i % 3 === 0);
    const dy = raw.filter((_, i) => i % 3 === 1);
    close(out.meta.std, [std(dx), std(dy)], 1e-9);
    // Not the scale of train and test together: the test characters (9, 19, 29, 39) are among the larger.
    const all = linesToSet(groupLines(chars, 2), 20).values.filter((_, i) => i % 3 === 0);
    assert.ok(Math.abs(std([...all]) - out.meta.std[0]) > 1e-3);
    close(
      out.train.values.filter((_, i) => i % 3 === 0),
      dx.map((v) => v / out.meta.std[0]),
      1e-5,
    );
    const testRaw = lineVectors([chars[9], chars[19]], 20);
    close(
      out.test.values.subarray(0, testRaw.length),
      testRaw.map((v, i) => (i % 3 === 2 ? v : v / out.meta.std[i % 3])),
      1e-5,
    );
  });
});

describe('hanzi package messages', () => {
  it('says npm ci when the package, its licence or a character file is missing or damaged', () => {
    const is = (pattern: RegExp) => (e: unknown) =>
      e instanceof UserError && pattern.test(e.message) && /npm ci/.test(e.message);
    const gone = join(tmpdir(), 'ln-repro-no-such-hanzi');
    assert.throws(() => loadHanziCharacters(gone), is(/hanzi-writer-data is missing/));
    const dir = mkdtempSync(join(tmpdir(), 'ln-repro-hanzi-'));
    try {
      assert.throws(() => loadHanziCharacters(dir, 1), is(/missing ARPHICPL\.TXT/));
      writeFileSync(join(dir, 'ARPHICPL.TXT'), 'licence');
      assert.throws(() => loadHanziCharacters(dir, 1), is(/0 character files .*expected 1/));
      writeFileSync(join(dir, '一.json'), '{"strokes": [');
      assert.throws(() => loadHanziCharacters(dir, 1), is(/一\.json is unreadable or not JSON/));
      writeFileSync(join(dir, '一.json'), '{"strokes": [], "medians": [[]]}');
      assert.throws(() => loadHanziCharacters(dir, 1), is(/一\.json has no valid "medians"/));
      writeFileSync(join(dir, '一.json'), '{"medians": [[[0, 500], [1000, 500]]]}');
      assert.equal(loadHanziCharacters(dir, 1)[0].char, '一');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hanzi-writer-data 2.0.1 (the real package)', () => {
  it('loads every character in code-point order with the counts of its files', () => {
    const dir = hanziDataDir();
    // Counted here from the files, without the loader.
    const files = readdirSync(dir).filter((f) => /^.\.json$/u.test(f));
    let [strokes, points, resampled] = [0, 0, 0];
    for (const f of files) {
      const medians = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { medians: number[][][] }).medians;
      strokes += medians.length;
      for (const m of medians) {
        points += m.length;
        let length = 0;
        for (let i = 1; i < m.length; i++) length += Math.hypot(m[i][0] - m[i - 1][0], m[i][1] - m[i - 1][1]);
        resampled += Math.max(1, Math.ceil(length / 20)) + 1;
      }
    }
    assert.deepEqual([files.length, strokes, points], [9574, 112617, 629258]);
    const started = Date.now();
    const chars = loadHanziCharacters(dir);
    const seconds = (Date.now() - started) / 1000;
    assert.equal(chars.length, 9574);
    const codes = chars.map((c) => c.char.codePointAt(0) ?? 0);
    assert.ok(codes.every((c, i) => i === 0 || c > codes[i - 1]));
    assert.equal(
      chars.reduce((a, c) => a + c.medians.length, 0),
      strokes,
    );
    const one = hanziSequences({ characters: chars, charsPerSequence: 1, spacing: 20 });
    const total = one.meta.points.train + one.meta.points.test;
    assert.equal(total, resampled);
    assert.equal(one.meta.penUps.train + one.meta.penUps.test, strokes);
    const perChar = total / 9574;
    const penUp = strokes / total;
    // The figures README gives (Stroke data): 219.8 points a character, pen-up on 5.35% of them, and the scale of
    // one character a sequence.
    assert.equal(perChar.toFixed(1), '219.8');
    assert.equal((100 * penUp).toFixed(2), '5.35');
    assert.deepEqual(
      one.meta.std.map((s) => s.toFixed(1)),
      ['54.0', '55.7'],
    );
    console.log(
      `hanzi: ${files.length} characters, ${strokes} strokes, ${points} median points; ` +
        `${perChar.toFixed(1)} points a character, pen-up ${(100 * penUp).toFixed(2)}%, ` +
        `std (${one.meta.std.map((s) => s.toFixed(2)).join(', ')}); files read in ${seconds.toFixed(1)} s`,
    );
  });

  it('serves lines of three characters as seeded subsets of the fixed split', () => {
    const full = loadHanzi({ train: 2872, test: 319, seed: 0, charsPerSequence: 3 });
    // 9574 characters: 957 to test (319 lines), 8617 to train (2872 lines, one character left over).
    assert.deepEqual(full.meta.characters, { train: 8617, test: 957 });
    assert.equal(full.train.count, 2872);
    assert.equal(full.test.count, 319);
    // The scale README gives for lines of three: the jumps between characters widen it.
    assert.deepEqual(
      full.meta.std.map((s) => s.toFixed(1)),
      ['59.4', '64.7'],
    );
    assert.match(full.origin, /hanzi-writer-data 2\.0\.1.*Arphic Public License/);
    const some = loadHanzi({ train: 100, test: 10, seed: 0, charsPerSequence: 3 });
    assert.equal(some.train.count, 100);
    assert.throws(
      () => loadHanzi({ train: 2873, test: 1, seed: 0, charsPerSequence: 3 }),
      (e: unknown) =>
        e instanceof UserError &&
        /data\.train: asked for 2873 sequences, the hanzi train split has 2872/.test(e.message),
    );
    console.log(`hanzi lines of 3: ${(full.meta.points.train / 2872).toFixed(1)} points a training line`);
  });
});
