// Padded batches of sentence triples as the skip-thought model reads them (src/models/skipthought): the current
// sentence for the encoder, the previous and next for the decoders (teacher forcing: each reads <eos> and then the
// sentence, and predicts the sentence and then <eos>).
import type { DecoderBatch, SentenceBatch, SkipThoughtInputs } from '../../models/skipthought';

/** Sentences padded (id 0) to the longest, step-major. */
export function sentenceBatch(sentences: readonly (readonly number[])[]): SentenceBatch {
  const batch = sentences.length;
  const lengths = Int32Array.from(sentences, (s) => s.length);
  const steps = Math.max(1, ...lengths);
  const ids = new Int32Array(steps * batch);
  sentences.forEach((s, b) => s.forEach((id, t) => (ids[t * batch + b] = id)));
  return { steps, lengths, ids };
}

/** The decoders' batch of `sentences`: inputs <eos> w_0 .. w_{n-1}, targets w_0 .. w_{n-1} <eos>, step-major. */
export function decoderBatch(sentences: readonly (readonly number[])[], eos: number): DecoderBatch {
  const batch = sentences.length;
  const lengths = Int32Array.from(sentences, (s) => s.length + 1);
  const steps = Math.max(...lengths);
  const inputs = new Int32Array(steps * batch);
  const rows: number[] = [];
  const targets: number[] = [];
  // Step-major, as the states come out of the decoder: row t * batch + b.
  for (let t = 0; t < steps; t++)
    sentences.forEach((s, b) => {
      if (t > s.length) return;
      inputs[t * batch + b] = t === 0 ? eos : s[t - 1];
      rows.push(t * batch + b);
      targets.push(t === s.length ? eos : s[t]);
    });
  return { steps, lengths, inputs, rows: Int32Array.from(rows), targets: Int32Array.from(targets) };
}

/** The triples whose current sentences are `centres` (indices into `sentences`), as one batch. */
export function tripleBatch(
  sentences: readonly (readonly number[])[],
  centres: ArrayLike<number>,
  eos: number,
): SkipThoughtInputs {
  const c = Array.from(centres);
  return {
    batch: c.length,
    current: sentenceBatch(c.map((i) => sentences[i])),
    previous: decoderBatch(
      c.map((i) => sentences[i - 1]),
      eos,
    ),
    next: decoderBatch(
      c.map((i) => sentences[i + 1]),
      eos,
    ),
  };
}
