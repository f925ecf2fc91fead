// Padded batches of cloze questions as the attentive reader reads them (src/models/reader/index.ts): token ids
// step-major, each sequence also reversed within its length for the backward encoders, and candidate masks.
import { permutation, type Rng } from '../../data/rng';
import type { ClozeSet } from '../../data/text/cloze-set';
import type { ReaderInputs, TokenBatch } from '../../models/reader';
import { orderBy } from '../../util/order';

/** Sequences padded (id 0) to the longest, step-major, with their reversal and its inverse (TokenBatch). */
export function tokenBatch(sequences: readonly ArrayLike<number>[]): TokenBatch {
  const batch = sequences.length;
  const lengths = Int32Array.from(sequences, (s) => s.length);
  const steps = Math.max(1, ...lengths);
  const forward = new Int32Array(steps * batch);
  const backward = new Int32Array(steps * batch);
  const unreverse = new Int32Array(steps * batch);
  for (let b = 0; b < batch; b++) {
    const s = sequences[b];
    const n = lengths[b];
    for (let t = 0; t < steps; t++) {
      const row = t * batch + b;
      if (t < n) {
        forward[row] = s[t];
        backward[row] = s[n - 1 - t];
        unreverse[row] = (n - 1 - t) * batch + b; // position t is the backward pass's step n - 1 - t
      } else unreverse[row] = row; // padding: its own row (a permutation, so no gradient is added twice)
    }
  }
  return { steps, lengths, forward, backward, unreverse };
}

/**
 * The questions of `set` at `indices`, padded into one batch, with `entities` candidate columns and each
 * candidate's mentions in the document (vocabulary ids first .. first + entities - 1 are the entity markers).
 */
export function readerBatch(set: ClozeSet, indices: ArrayLike<number>, entities: number, first: number): ReaderInputs {
  const picked = Array.from(indices);
  const batch = picked.length;
  const document = tokenBatch(picked.map((q) => set.documents[q]));
  const slots = Math.max(1, ...picked.map((q) => set.candidates[q].length));
  const candidates = new Float32Array(batch * entities);
  const mentions = new Float32Array(batch * slots * document.steps);
  const slotEntities = new Float32Array(batch * slots * entities);
  picked.forEach((q, b) => {
    const slotOf = new Map<number, number>();
    set.candidates[q].forEach((k, c) => {
      candidates[b * entities + k] = 1;
      slotEntities[(b * slots + c) * entities + k] = 1;
      slotOf.set(first + k, c);
    });
    set.documents[q].forEach((id, t) => {
      const c = slotOf.get(id);
      if (c !== undefined) mentions[(b * slots + c) * document.steps + t] = 1;
    });
  });
  const query = tokenBatch(picked.map((q) => set.queries[q]));
  return { batch, document, query, candidates, slots, mentions, slotEntities };
}

/** The most candidates a question of the set has. */
export const mostCandidates = (set: ClozeSet) => Math.max(1, ...set.candidates.map((c) => c.length));

/** The set's question indices ordered by document length (stable), so that an evaluation batch pads little. */
export const byDocumentLength = (set: ClozeSet): Int32Array => orderBy(set.count, (q) => set.documents[q].length);

/** Tokens of the longest document and of the longest query. */
export const longestOf = (set: ClozeSet) => ({
  document: Math.max(1, ...set.documents.map((d) => d.length)),
  query: Math.max(1, ...set.queries.map((q) => q.length)),
});

/** Distinct entity markers of a question: @entity0 .. @entity(n - 1), numbered in order of first appearance. */
function markersOf(set: ClozeSet, q: number, first: number, entities: number): number {
  let most = -1;
  for (const ids of [set.documents[q], set.queries[q]])
    for (const id of ids) if (id >= first && id < first + entities) most = Math.max(most, id - first);
  return most + 1;
}

/**
 * The questions at `indices` as a new set whose entity markers are renamed by a fresh random permutation of each
 * question's own markers (@entity0 .. @entity(n - 1), the answer and candidates with them). Training draws one
 * every time it reads a question, so that a marker means nothing beyond its question and the reader cannot learn
 * answers by heart: it must find the answer in the document (Hermann et al. 2015 permute their markers per document
 * for the same reason; with 100 times fewer questions than theirs, one fixed naming per question is memorized).
 */
export function relabeled(
  set: ClozeSet,
  indices: ArrayLike<number>,
  first: number,
  entities: number,
  rng: Rng,
): ClozeSet {
  const picked = Array.from(indices);
  const names = picked.map((q) => permutation(markersOf(set, q, first, entities), rng));
  const rename = (ids: Int32Array, b: number) =>
    ids.map((id) => (id >= first && id < first + names[b].length ? first + names[b][id - first] : id));
  return {
    count: picked.length,
    documents: picked.map((q, b) => rename(set.documents[q], b)),
    sentences: picked.map((q) => set.sentences[q]),
    queries: picked.map((q, b) => rename(set.queries[q], b)),
    answers: Int32Array.from(picked, (q, b) => names[b][set.answers[q]]),
    candidates: picked.map((q, b) => set.candidates[q].map((k) => names[b][k])),
    ids: picked.map((q) => set.ids[q]),
  };
}
