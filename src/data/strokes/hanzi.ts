// Chinese characters' stroke medians (Make Me a Hanzi) as pen-offset sequences for a handwriting-style model: each
// stroke resampled along its length, the strokes joined in stroke order with pen-up on each stroke's last point,
// characters joined into lines, split by character, offsets scaled by the training split's standard deviation.
// Pure and tfjs-free; src/data/strokes/hanzi-data.ts reads the npm package.
import type { SequenceSet } from '../types';

/** A point on Make Me a Hanzi's 1024 grid: x to the right, y UP, the em box from (0, 900) to (1024, -124). */
export type Point = readonly [number, number];

/** One character: its medians, one polyline per stroke, in stroke order. */
export interface Character {
  readonly char: string;
  readonly medians: readonly (readonly Point[])[];
}

/** The em box's side (grid units): each character of a line is drawn one box to the right of the one before. */
export const EM = 1024;
/** The y of the em box's top edge in the source grid: screen y = TOP - y (down, 0 at the top). */
export const TOP = 900;
/**
 * Resampling spacing in grid units (~2% of the em box). The medians' total length averages 4,042 units a
 * character, so steps of at most 20 give 219.8 points a character with pen-up on 5.35% of them: about IAM's
 * density (a three-character line ~660 points against IAM's ~700).
 */
export const HANZI_SPACING = 20;
/** Values per point: dx, dy (screen convention, y down), pen-up (1 on a stroke's last point). */
export const STROKE_WIDTH = 3;

/**
 * The polyline `median` resampled at equal arc-length steps of at most `spacing`: ceil(length / spacing) steps,
 * both endpoints kept (so no stroke ends in a sliver of a step). A stroke of zero length is its first point.
 */
export function resampleStroke(median: readonly Point[], spacing: number): Point[] {
  const cumulative = [0];
  for (let i = 1; i < median.length; i++) {
    const [[x0, y0], [x1, y1]] = [median[i - 1], median[i]];
    cumulative.push(cumulative[i - 1] + Math.hypot(x1 - x0, y1 - y0));
  }
  const length = cumulative[cumulative.length - 1];
  if (!(length > 0)) return [median[0]];
  const steps = Math.ceil(length / spacing);
  const out: Point[] = [median[0]];
  let seg = 1;
  for (let k = 1; k < steps; k++) {
    const at = (k * length) / steps;
    while (cumulative[seg] < at) seg++;
    const t = (at - cumulative[seg - 1]) / (cumulative[seg] - cumulative[seg - 1]);
    const [[x0, y0], [x1, y1]] = [median[seg - 1], median[seg]];
    out.push([x0 + t * (x1 - x0), y0 + t * (y1 - y0)]);
  }
  out.push(median[median.length - 1]);
  return out;
}

/**
 * A line of characters as one sequence of (dx, dy, pen-up) in screen coordinates (y down), character j shifted
 * j em boxes right; the first offset is from the first box's top-left corner, each character's first from the
 * previous character's last point. Returns the values, STROKE_WIDTH per point.
 */
export function lineVectors(line: readonly Character[], spacing: number): number[] {
  const out: number[] = [];
  let [px, py] = [0, 0];
  line.forEach((character, j) => {
    for (const median of character.medians) {
      const points = resampleStroke(median, spacing);
      points.forEach(([x, y], i) => {
        const [sx, sy] = [x + j * EM, TOP - y];
        out.push(sx - px, sy - py, i === points.length - 1 ? 1 : 0);
        [px, py] = [sx, sy];
      });
    }
  });
  return out;
}

/** Lines (each a list of characters) as one SequenceSet of unscaled offsets. */
export function linesToSet(lines: readonly (readonly Character[])[], spacing: number): SequenceSet {
  const parts = lines.map((line) => lineVectors(line, spacing));
  const offsets = new Int32Array(parts.length + 1);
  parts.forEach((p, i) => (offsets[i + 1] = offsets[i] + p.length / STROKE_WIDTH));
  const values = new Float32Array(offsets[parts.length] * STROKE_WIDTH);
  parts.forEach((p, i) => values.set(p, offsets[i] * STROKE_WIDTH));
  return { values, offsets, width: STROKE_WIDTH, count: parts.length };
}

/** The fixed split by character: every 10th (index 9, 19, ... in the order given: code-point order) to test. */
export function splitCharacters<T>(chars: readonly T[]): { train: T[]; test: T[] } {
  return { train: chars.filter((_, i) => i % 10 !== 9), test: chars.filter((_, i) => i % 10 === 9) };
}

/** Consecutive groups of `perLine` characters (a positive integer); a last group of fewer is dropped. */
export function groupLines<T>(chars: readonly T[], perLine: number): T[][] {
  if (!Number.isInteger(perLine) || perLine < 1)
    throw new RangeError(`characters a line: ${perLine}, not an integer >= 1`);
  const lines: T[][] = [];
  for (let i = 0; i + perLine <= chars.length; i += perLine) lines.push(chars.slice(i, i + perLine));
  return lines;
}

/** The population standard deviation of dx and of dy over every point of `set` (pen-up ignored), in float64. */
export function offsetStd(set: SequenceSet): [number, number] {
  const n = set.values.length / set.width;
  const column = (d: number) => {
    let sum = 0;
    for (let p = 0; p < n; p++) sum += set.values[p * set.width + d];
    const mean = sum / n;
    let squares = 0;
    for (let p = 0; p < n; p++) squares += (set.values[p * set.width + d] - mean) ** 2;
    return Math.sqrt(squares / n);
  };
  return [column(0), column(1)];
}

/** `set` with dx divided by std[0] and dy by std[1] (no shift: a zero offset stays zero). */
export function scaleOffsets(set: SequenceSet, std: readonly [number, number]): SequenceSet {
  const values = set.values.slice();
  for (let i = 0; i < values.length; i += set.width) {
    values[i] /= std[0];
    values[i + 1] /= std[1];
  }
  return { ...set, values };
}

/** What hanziSequences derived, for run.json and the report. */
export interface HanziMeta {
  readonly spacing: number;
  readonly charsPerSequence: number;
  /** The training split's standard deviation of dx and dy (grid units), which both splits are divided by. */
  readonly std: readonly [number, number];
  readonly characters: { readonly train: number; readonly test: number };
  readonly points: { readonly train: number; readonly test: number };
  readonly penUps: { readonly train: number; readonly test: number };
}

const penUps = (set: SequenceSet) => set.values.filter((v, i) => i % set.width === 2 && v === 1).length;

/**
 * Characters (in code-point order) to the full train and test splits: split by character, `charsPerSequence`
 * characters a sequence, offsets scaled by the standard deviation over the whole training split (whatever subset
 * a run takes, so that NLLs of runs with different data.train share one scale; the scale depends on
 * charsPerSequence, whose lines add the jumps between characters: 54.0 / 55.7 at 1, 59.4 / 64.7 at 3).
 */
export function hanziSequences(opts: { characters: readonly Character[]; charsPerSequence: number; spacing: number }): {
  train: SequenceSet;
  test: SequenceSet;
  meta: HanziMeta;
} {
  const { charsPerSequence, spacing } = opts;
  const split = splitCharacters(opts.characters);
  const raw = {
    train: linesToSet(groupLines(split.train, charsPerSequence), spacing),
    test: linesToSet(groupLines(split.test, charsPerSequence), spacing),
  };
  const std = offsetStd(raw.train);
  const points = (s: SequenceSet) => s.offsets[s.count];
  const meta: HanziMeta = {
    spacing,
    charsPerSequence,
    std,
    characters: { train: split.train.length, test: split.test.length },
    points: { train: points(raw.train), test: points(raw.test) },
    penUps: { train: penUps(raw.train), test: penUps(raw.test) },
  };
  return { train: scaleOffsets(raw.train, std), test: scaleOffsets(raw.test, std), meta };
}
