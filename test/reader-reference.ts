// A float64 reference of Hermann et al.'s attentive reader (paper section 6.2; SPEC.md), written independently of
// src/: each encoder run step by step with the reference cells (cell-reference.ts) on the sub-batch of sequences
// still going (so that batch norm's statistics are theirs alone), the backward encoders over each sequence reversed,
// then attention, the answer's probability over the candidates and its NLL, with plain loops.
import { lstmRef, type M, type P } from './cell-reference';

export interface RefQuestion {
  document: number[];
  query: number[];
  candidates: number[];
  answer: number;
}

const sub = (p: P, prefix: string): P =>
  Object.fromEntries(
    Object.entries(p)
      .filter(([k]) => k.startsWith(`${prefix}/`))
      .map(([k, v]) => [k.slice(prefix.length + 1), v]),
  );

/** h at every position of every sequence (reading order), of the LSTM `prefix` run forward or over the reversal. */
function encode(p: P, prefix: string, norm: string, sequences: number[][], reverse: boolean): number[][][] {
  const cell = sub(p, prefix);
  const h0 = cell.h0 as number[];
  const E = p.embedding as M;
  const state = sequences.map(() => ({ h: [...h0], c: h0.map(() => 0) }));
  const out = sequences.map((s) => s.map(() => [] as number[]));
  const longest = Math.max(...sequences.map((s) => s.length));
  for (let t = 0; t < longest; t++) {
    const live = sequences.map((s, b) => (s.length > t ? b : -1)).filter((b) => b >= 0);
    const position = (b: number) => (reverse ? sequences[b].length - 1 - t : t);
    const x = live.map((b) => [...E[sequences[b][position(b)]]]);
    const next = lstmRef(cell, norm, x, { h: live.map((b) => state[b].h), c: live.map((b) => state[b].c) });
    live.forEach((b, k) => {
      state[b] = { h: next.h[k], c: next.c[k] };
      out[b][position(b)] = next.h[k];
    });
  }
  return out;
}

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
/** x W for a row vector x and W [in, out]. */
const times = (x: number[], W: M) => W[0].map((_, j) => x.reduce((s, v, i) => s + v * W[i][j], 0));

/**
 * Per question: attention over its document, candidate probabilities, the answer's NLL; and the mean NLL.
 * `answer`: `weights` (Hermann et al.: softmax of W(a) g), or `sum` (the attention's mass on each candidate's
 * mentions, vocabulary id `first` + a, over all candidates' mass, each mass floored at 1e-30 as src/ does).
 */
export function readerRef(p: P, norm: string, questions: RefQuestion[], answer = 'weights', first = 3) {
  const docs = questions.map((q) => q.document);
  const queries = questions.map((q) => q.query);
  const [df, db] = [false, true].map((r) => encode(p, `document/${r ? 'backward' : 'forward'}`, norm, docs, r));
  const [qf, qb] = [false, true].map((r) => encode(p, `query/${r ? 'backward' : 'forward'}`, norm, queries, r));
  const results = questions.map((q, b) => {
    const y = df[b].map((h, t) => [...h, ...db[b][t]]);
    const u = [...qf[b][q.query.length - 1], ...qb[b][0]];
    const um = times(u, p.W_um as M);
    const w = (p.w_ms as M).map((row) => row[0]);
    const scores = y.map((yt) =>
      dot(
        times(yt, p.W_ym as M).map((v, j) => Math.tanh(v + um[j])),
        w,
      ),
    );
    const top = Math.max(...scores);
    const e = scores.map((s) => Math.exp(s - top));
    const attention = e.map((v) => v / e.reduce((a, c) => a + c, 0));
    if (answer === 'sum') {
      const mass = q.candidates.map(
        (k) => q.document.reduce((s, id, t) => s + (id === first + k ? attention[t] : 0), 0) + 1e-30,
      );
      const total = mass.reduce((a, b) => a + b, 0);
      const probabilities = mass.map((m) => m / total);
      const nll = -Math.log(probabilities[q.candidates.indexOf(q.answer)]);
      return { attention, probabilities, nll, logits: mass.map(Math.log) };
    }
    const r = y[0].map((_, j) => y.reduce((s, yt, t) => s + attention[t] * yt[j], 0));
    const rg = times(r, p.W_rg as M);
    const g = times(u, p.W_ug as M).map((v, j) => Math.tanh(v + rg[j]));
    const scoresA = q.candidates.map((k) =>
      dot(
        g,
        (p.W_a as M).map((row) => row[k]),
      ),
    );
    const topA = Math.max(...scoresA);
    const z = scoresA.reduce((s, v) => s + Math.exp(v - topA), 0);
    const probabilities = scoresA.map((v) => Math.exp(v - topA) / z);
    const nll = -Math.log(probabilities[q.candidates.indexOf(q.answer)]);
    return { attention, probabilities, nll, logits: scoresA };
  });
  return { results, loss: results.reduce((s, r) => s + r.nll, 0) / questions.length };
}
