// Caption-image pairs for the retrieval task (paper section 6.1, on real digits): a strip of 1 to maxDigits MNIST
// digits side by side, left-aligned and padded with blank columns to maxDigits * 28 pixels, and a caption
// naming its digits in words ("seven one four"), so captions have different lengths.
import { rngFor } from '../../data/rng';
import type { ImageSet } from '../../data/types';

export const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;

export interface Strips {
  readonly count: number;
  /** Digits per strip, and so strip width / 28 and caption length of the longest. */
  readonly maxDigits: number;
  /** [count, 28 * 28 * maxDigits] row-major strips (28 rows of 28 * maxDigits pixels), pixels in [0, 1]. */
  readonly images: Float32Array;
  /** [count, maxDigits] word ids (0..9), -1 after the caption's end. */
  readonly tokens: Int32Array;
  /** [count] caption lengths (1..maxDigits). */
  readonly lengths: Int32Array;
  /** The captions as text: two pairs are a match for retrieval when these are equal. */
  readonly captions: string[];
}

export interface StripOptions {
  minDigits: number;
  maxDigits: number;
  /** data.seed; `purpose` separates the train and test strips' draws. */
  seed: number;
  purpose: string;
}

/**
 * `split.count` strips, each of a uniformly drawn number of digits drawn with replacement from `split`
 * (so every strip of the test set is made of test digits only). Digits are square, one channel (MNIST's).
 */
export function buildStrips(split: ImageSet, o: StripOptions): Strips {
  const rng = rngFor(o.seed, 'strips', o.purpose);
  const count = split.count;
  const side = split.shape[0];
  const width = side * o.maxDigits;
  const images = new Float32Array(count * side * width);
  const tokens = new Int32Array(count * o.maxDigits).fill(-1);
  const lengths = new Int32Array(count);
  const captions: string[] = [];
  for (let n = 0; n < count; n++) {
    const len = o.minDigits + Math.floor(rng() * (o.maxDigits - o.minDigits + 1));
    lengths[n] = len;
    const words: string[] = [];
    for (let k = 0; k < len; k++) {
      const src = Math.floor(rng() * split.count);
      const digit = split.labels[src];
      tokens[n * o.maxDigits + k] = digit;
      words.push(WORDS[digit]);
      for (let row = 0; row < side; row++) {
        const from = (src * side + row) * side;
        images.set(split.images.subarray(from, from + side), n * side * width + row * width + k * side);
      }
    }
    captions.push(words.join(' '));
  }
  return { count, maxDigits: o.maxDigits, images, tokens, lengths, captions };
}
