// A float64 reference of Kiros et al.'s skip-thought model (paper section 6.3; SPEC.md), written independently of
// src/ with plain loops: the encoder run step by step with the reference cells (cell-reference.ts) on the sub-batch
// of sentences still going, its final state h_i per sentence; each decoder fed <eos> and then its sentence's words,
// every step's input the word's embedding followed by h_i (Kiros et al.'s C h_i in every gate, as one input
// matrix), predicting the sentence's words and then <eos> through softmax(V h + b); the loss the NLL of every
// predicted word of both decoders, over their count.
import { gruRef, lstmRef, type M, type P } from './cell-reference';

export interface RefTriple {
  previous: number[];
  current: number[];
  next: number[];
}

const sub = (p: P, prefix: string): P =>
  Object.fromEntries(
    Object.entries(p)
      .filter(([k]) => k.startsWith(`${prefix}/`))
      .map(([k, v]) => [k.slice(prefix.length + 1), v]),
  );

/**
 * Runs cell `prefix` over sequences of input vectors (inputs[b][t]) of different lengths; returns every sequence's
 * state after each of its steps (states[b][t]) and after its last (h0 for an empty sequence).
 */
function run(p: P, prefix: string, cell: string, norm: string, inputs: number[][][]) {
  const c = sub(p, prefix);
  const h0 = c.h0 as number[];
  let state = inputs.map(() => ({ h: [...h0], c: h0.map(() => 0) }));
  const states = inputs.map(() => [] as number[][]);
  const longest = Math.max(...inputs.map((s) => s.length));
  for (let t = 0; t < longest; t++) {
    const live = inputs.map((s, b) => (s.length > t ? b : -1)).filter((b) => b >= 0);
    const x = live.map((b) => inputs[b][t]);
    const prev = { h: live.map((b) => state[b].h), c: live.map((b) => state[b].c) };
    const next = cell === 'lstm' ? lstmRef(c, norm, x, prev) : { ...gruRef(c, norm, x, prev), c: prev.c };
    state = state.map((s) => ({ ...s }));
    live.forEach((b, k) => {
      state[b] = { h: next.h[k], c: next.c[k] };
      states[b].push(next.h[k]);
    });
  }
  return { states, last: state.map((s) => s.h) };
}

/** log sum exp of a row, shifted by its max. */
function logSumExp(row: number[]): number {
  const top = Math.max(...row);
  return top + Math.log(row.reduce((s, v) => s + Math.exp(v - top), 0));
}

/**
 * The loss (mean NLL per predicted word), the sentence vectors h_i, and each decoder's per-word NLLs, for the
 * triples with vocabulary id `eos` as <eos>.
 */
export function skipthoughtRef(p: P, cell: string, norm: string, triples: RefTriple[], eos = 2) {
  const E = p.embedding as M;
  const V = p.V as M;
  const b = p.b as number[];
  const encoded = run(
    p,
    'encoder',
    cell,
    norm,
    triples.map((t) => t.current.map((w) => [...E[w]])),
  );
  const h = encoded.last;
  let total = 0;
  let words = 0;
  const perWord: Record<string, number[][]> = {};
  for (const role of ['previous', 'next'] as const) {
    const sentences = triples.map((t) => t[role]);
    const inputs = sentences.map((s, i) => [eos, ...s].map((w) => [...E[w], ...h[i]]));
    const { states } = run(p, role, cell, norm, inputs);
    perWord[role] = sentences.map((s, i) =>
      [...s, eos].map((target, t) => {
        const logits = V[0].map((_, j) => b[j] + states[i][t].reduce((acc, v, k) => acc + v * V[k][j], 0));
        return logSumExp(logits) - logits[target];
      }),
    );
    for (const nll of perWord[role].flat()) {
      total += nll;
      words++;
    }
  }
  return { loss: total / words, vectors: h, perWord, words };
}
