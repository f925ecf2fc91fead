// In-memory MNIST split: images as rows of pixels in [0, 1], labels as digits.

export interface Split {
  /** [n, 784] row-major, pixels in [0, 1]. */
  readonly images: Float32Array;
  /** [n], digits 0..9. */
  readonly labels: Uint8Array;
  readonly count: number;
}

export interface Dataset {
  readonly train: Split;
  readonly test: Split;
  /** Pixels per image (784). */
  readonly dims: number;
  /** Where the digits came from, for run.json. */
  readonly origin: string;
}

export const IMAGE_SIDE = 28;
export const PIXELS = IMAGE_SIDE * IMAGE_SIDE;
export const CLASSES = 10;

/** The examples at `indices` of `split`, as a new split. */
export function pick(split: Split, indices: ArrayLike<number>): Split {
  const dims = split.images.length / split.count;
  const images = new Float32Array(indices.length * dims);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i];
    images.set(split.images.subarray(src * dims, (src + 1) * dims), i * dims);
    labels[i] = split.labels[src];
  }
  return { images, labels, count: indices.length };
}
