// Indices in an order of their own: evaluation batches of similar lengths (sequences sorted by length), neighbours
// by similarity.

/** The indices 0..count-1 ordered by `key` (ascending, ties by index: a stable order). */
export function orderBy(count: number, key: (i: number) => number): Int32Array {
  const keys = Float64Array.from({ length: count }, (_, i) => key(i));
  return Int32Array.from({ length: count }, (_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
}
