// Examples in memory, by kind: images with class labels (MNIST, Fashion-MNIST), sequences of vectors (pen strokes:
// one (dx, dy, pen-up) vector per point) and sequences of token ids (text). A task's loader returns a train and a
// test set of one kind; `pick` takes a subset of any of them.

/** What every set of examples has: how many there are. */
export interface Examples {
  readonly count: number;
}

/** Images as rows of pixels in [0, 1], with a class label each. */
export interface ImageSet extends Examples {
  /** [count, height * width * channels] row-major, channels fastest (NHWC per image). */
  readonly images: Float32Array;
  /** [count] class indices 0..classes-1. */
  readonly labels: Uint8Array;
  /** One image's [height, width, channels]. */
  readonly shape: readonly [number, number, number];
  readonly classes: number;
}

/** Variable-length sequences of `width`-dimensional vectors, stored end to end. */
export interface SequenceSet extends Examples {
  /** [points, width] row-major: every sequence's vectors, sequence after sequence. */
  readonly values: Float32Array;
  readonly width: number;
  /** [count + 1]: sequence i is points offsets[i] .. offsets[i + 1] - 1. */
  readonly offsets: Int32Array;
}

/** Variable-length sequences of token ids into `vocabulary`, stored end to end. */
export interface TokenSet extends Examples {
  /** Every sequence's token ids, sequence after sequence. */
  readonly ids: Int32Array;
  /** [count + 1]: sequence i is tokens offsets[i] .. offsets[i + 1] - 1. */
  readonly offsets: Int32Array;
  readonly vocabulary: readonly string[];
}

/** A task's data: its training and test examples, and where they came from (recorded in run.json). */
export interface Dataset<S extends Examples = Examples> {
  readonly train: S;
  readonly test: S;
  readonly origin: string;
}

/** Values per image. */
export const imageSize = (s: Pick<ImageSet, 'shape'>) => s.shape[0] * s.shape[1] * s.shape[2];

/** The images at `indices` of `set`, as a new set. */
export function pickImages(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const dims = imageSize(set);
  const images = new Float32Array(indices.length * dims);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i];
    images.set(set.images.subarray(src * dims, (src + 1) * dims), i * dims);
    labels[i] = set.labels[src];
  }
  return { ...set, images, labels, count: indices.length };
}

/**
 * The runs `offsets[i] .. offsets[i + 1]` of `values` (`width` values per element) for i in `indices`, end to end,
 * with their new offsets.
 */
function pickRuns<T extends Float32Array | Int32Array>(
  values: T,
  width: number,
  offsets: Int32Array,
  indices: ArrayLike<number>,
): { values: T; offsets: Int32Array } {
  const next = new Int32Array(indices.length + 1);
  for (let i = 0; i < indices.length; i++) next[i + 1] = next[i] + offsets[indices[i] + 1] - offsets[indices[i]];
  const out = new (values.constructor as new (n: number) => T)(next[indices.length] * width);
  for (let i = 0; i < indices.length; i++) {
    const [from, to] = [offsets[indices[i]], offsets[indices[i] + 1]];
    out.set(values.subarray(from * width, to * width), next[i] * width);
  }
  return { values: out, offsets: next };
}

/** The sequences at `indices` of `set`, as a new set. */
export function pickSequences(set: SequenceSet, indices: ArrayLike<number>): SequenceSet {
  const { values, offsets } = pickRuns(set.values, set.width, set.offsets, indices);
  return { ...set, values, offsets, count: indices.length };
}

/** The token sequences at `indices` of `set`, as a new set (same vocabulary). */
export function pickTokens(set: TokenSet, indices: ArrayLike<number>): TokenSet {
  const { values, offsets } = pickRuns(set.ids, 1, set.offsets, indices);
  return { ...set, ids: values, offsets, count: indices.length };
}
