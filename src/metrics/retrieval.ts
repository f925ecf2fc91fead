// Retrieval scoring and evaluation (paper section 6.1; Vendrov et al. 2016): how well an image and a caption match in
// the joint space, and recall@K / mean rank in both directions.
import * as tf from '@tensorflow/tfjs';
import type { RankingLoss } from './types';

/**
 * score[i][j] of image i against caption j, higher = better match; images [ni, D], captions [nc, D] are the
 * encoders' final embeddings (see RetrievalModel).
 * - contrastive: cosine similarity, the dot product of unit vectors.
 * - order: minus the order violation -||max(0, c_j - x_i)||^2 (an image should sit below its caption in the
 *   reversed product order, coordinate-wise at least as large; Vendrov et al. eq. 2).
 */
export function pairScores(images: tf.Tensor2D, captions: tf.Tensor2D, kind: RankingLoss): tf.Tensor2D {
  return tf.tidy(() => {
    if (kind === 'contrastive') return tf.matMul(images, captions, false, true);
    const [ni, d] = images.shape;
    const nc = captions.shape[0];
    const violation = tf.relu(tf.sub(tf.reshape(captions, [1, nc, d]), tf.reshape(images, [ni, 1, d])));
    return tf.neg(tf.sum(tf.square(violation), 2)) as tf.Tensor2D;
  });
}

/**
 * The full [ni, nc] score matrix, computed `chunk` images at a time to bound memory (order scores are ni*nc*D),
 * each block read back asynchronously.
 */
async function scoreMatrix(
  images: tf.Tensor2D,
  captions: tf.Tensor2D,
  kind: RankingLoss,
  chunk = 100,
): Promise<Float32Array> {
  const [ni] = images.shape;
  const nc = captions.shape[0];
  const out = new Float32Array(ni * nc);
  for (let start = 0; start < ni; start += chunk) {
    const size = Math.min(chunk, ni - start);
    const block = tf.tidy(() => pairScores(tf.slice(images, [start, 0], [size, -1]), captions, kind));
    out.set(await block.data().finally(() => block.dispose()), start * nc);
  }
  return out;
}

/**
 * For each query q (row q of `scores`, [nq, nc] row-major), the rank of its best-placed hit among the nc
 * candidates: candidate c is a hit when candidateKeys[c] equals queryKeys[q]. Ties are broken against the
 * query (a non-hit scoring the same as the best hit is counted ahead of it), so a model whose scores are all
 * equal gets the worst ranks, not the best. Ranks start at 1.
 */
export function firstHitRanks(
  scores: Float32Array,
  queryKeys: readonly string[],
  candidateKeys: readonly string[],
): Int32Array {
  const nq = queryKeys.length;
  const nc = candidateKeys.length;
  if (scores.length !== nq * nc) throw new Error(`firstHitRanks: ${scores.length} scores for ${nq} x ${nc}`);
  const ranks = new Int32Array(nq);
  for (let q = 0; q < nq; q++) {
    const row = scores.subarray(q * nc, (q + 1) * nc);
    let best = -Infinity;
    let hits = 0;
    for (let c = 0; c < nc; c++) {
      if (candidateKeys[c] === queryKeys[q]) {
        hits += 1;
        if (row[c] > best) best = row[c];
      }
    }
    if (hits === 0) throw new Error(`firstHitRanks: query ${q} ("${queryKeys[q]}") has no matching candidate`);
    let ahead = 0;
    for (let c = 0; c < nc; c++) if (candidateKeys[c] !== queryKeys[q] && !(row[c] < best)) ahead += 1;
    ranks[q] = ahead + 1;
  }
  return ranks;
}

export interface RecallStats {
  /** Percent of queries whose first hit is within the top 1, 5, 10. */
  r1: number;
  r5: number;
  r10: number;
  meanRank: number;
}

export function recallStats(ranks: Int32Array): RecallStats {
  const n = ranks.length;
  const within = (k: number) => (100 * ranks.filter((r) => r <= k).length) / n;
  return { r1: within(1), r5: within(5), r10: within(10), meanRank: ranks.reduce((a, b) => a + b, 0) / n };
}

/** The transpose of a row-major [rows, cols] matrix. */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  return t;
}

/**
 * Both directions on N pairs: caption retrieval (each image queries all captions) and image retrieval (each
 * caption queries all images); `keys` are the pairs' captions (a hit is any item with the true caption).
 */
export async function retrievalMetrics(
  images: tf.Tensor2D,
  captions: tf.Tensor2D,
  keys: readonly string[],
  kind: RankingLoss,
) {
  const n = keys.length;
  const s = await scoreMatrix(images, captions, kind); // [image, caption]
  const caption = recallStats(firstHitRanks(s, keys, keys));
  const image = recallStats(firstHitRanks(transpose(s, n, n), keys, keys));
  return {
    caption_r1: caption.r1,
    caption_r5: caption.r5,
    caption_r10: caption.r10,
    caption_mean_rank: caption.meanRank,
    image_r1: image.r1,
    image_r5: image.r5,
    image_r10: image.r10,
    image_mean_rank: image.meanRank,
  };
}

/**
 * The symmetric pairwise ranking loss (Kiros et al. 2014; Vendrov et al. 2016), summed over the batch as in
 * the authors' code: for every pair (i, i) and every j whose caption differs from i's,
 *   max(0, margin - s(i,i) + s(i,j))   (caption j ranked against image i's own caption)
 * + max(0, margin - s(j,j) + s(i,j))   (image i ranked against caption j's own image).
 * `same` [B, B] is 1 where pairs i and j have equal captions (the diagonal included): those j are true
 * matches under our hit rule, so they are not used as negatives (the authors' code excludes the diagonal only).
 */
export function rankingLoss(
  images: tf.Tensor2D,
  captions: tf.Tensor2D,
  same: tf.Tensor2D,
  kind: RankingLoss,
  margin: number,
): tf.Scalar {
  return tf.tidy(() => {
    const s = pairScores(images, captions, kind); // [B images, B captions]
    const positive = tf.sum(tf.mul(s, tf.eye(s.shape[0])), 1, true); // [B, 1]: s(i, i)
    const negatives = tf.sub(1, same);
    const captionTerm = tf.relu(tf.add(tf.sub(margin, positive), s)); // row i: image i's query
    const imageTerm = tf.relu(tf.add(tf.sub(margin, tf.reshape(positive, [1, -1])), s)); // column j: caption j's query
    return tf.sum(tf.mul(tf.add(captionTerm, imageTerm), negatives)) as tf.Scalar;
  });
}
