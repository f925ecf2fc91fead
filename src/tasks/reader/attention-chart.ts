// The report's picture of the attentive reader: one validation question's document, word by word, each word's
// background as dark as the attention s(t) the trained model gives it (Hermann et al.'s Fig. 3 shows the same), with
// the query and the model's probability of each candidate above it. A vega-lite chart (no tfjs): the report renders it.
import type { ChartPicture } from '../spec';

/** What the task keeps of one question (src/tasks/reader/index.ts writes it after the last epoch). */
export interface AttentionArtifact {
  id: string;
  /** The document's words, sentence by sentence. */
  sentences: string[][];
  /** s(t) of each word, in the same shape. */
  attention: number[][];
  query: string[];
  answer: string;
  /** The candidates with the model's probability of each, in entity order. */
  candidates: { entity: string; p: number }[];
}

/** Characters a line holds before it wraps; a sentence starts a line. */
const LINE = 100;
const CHAR_PX = 7;
const LINE_PX = 17;

/** Each word's line and its first and last character column (a space between words). */
export function wordLayout(sentences: readonly (readonly string[])[]) {
  const words: { line: number; start: number; end: number; word: string; sentence: number; index: number }[] = [];
  let line = -1;
  sentences.forEach((sentence, k) => {
    let column = LINE; // a new line for each sentence
    sentence.forEach((word, index) => {
      if (column > 0 && column + word.length > LINE) {
        line++;
        column = 0;
      }
      words.push({ line, start: column, end: column + word.length, word, sentence: k, index });
      column += word.length + 1;
    });
  });
  return { words, lines: line + 1 };
}

/** The words as rectangles (coloured by attention) with their text on them, in the layout of wordLayout. */
function wordsBody(a: AttentionArtifact): Record<string, unknown> {
  const { words, lines } = wordLayout(a.sentences);
  const values = words.map((w) => ({ ...w, s: a.attention[w.sentence][w.index] }));
  const top = Math.max(...values.map((v) => v.s));
  const x = { type: 'quantitative', scale: { domain: [0, LINE] }, axis: null };
  const y = { field: 'line', type: 'ordinal', axis: null };
  const color = {
    field: 's',
    type: 'quantitative',
    title: 'attention s(t)',
    scale: { scheme: 'oranges', domain: [0, top] },
  };
  return {
    width: LINE * CHAR_PX,
    height: lines * LINE_PX,
    data: { values },
    layer: [
      { mark: { type: 'rect' }, encoding: { x: { field: 'start', ...x }, x2: { field: 'end' }, y, color } },
      {
        mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: 10 },
        encoding: { x: { field: 'start', ...x }, y, text: { field: 'word' } },
      },
    ],
  };
}

/** What the model answers, as the error metric judges it: the one candidate of highest probability, or a tie. */
function verdict(a: AttentionArtifact): string {
  const top = Math.max(...a.candidates.map((c) => c.p));
  const best = a.candidates.filter((c) => c.p === top).map((c) => c.entity);
  if (best.length > 1) return `the model ties ${best.join(', ')} (wrong: a tie counts as an error)`;
  return `the model answers ${best[0]} (${best[0] === a.answer ? 'right' : 'wrong'})`;
}

export function attentionChart(a: AttentionArtifact): ChartPicture {
  const candidates = a.candidates
    .map((c) => `${c.entity}${c.entity === a.answer ? ' (answer)' : ''} ${(100 * c.p).toFixed(1)}%`)
    .join(', ');
  return {
    title: `Attention over a validation document (question ${a.id})`,
    subtitle: [`query: ${a.query.join(' ')}`, `candidates: ${candidates}; ${verdict(a)}`],
    body: wordsBody(a),
  };
}
