// The report's picture of a skip-thought encoder (Kiros et al. 2015, Table 2): a few validation sentences, each with
// the training sentences whose vectors are nearest to its own by cosine. A vega-lite chart of text lines (no tfjs).
import type { ChartPicture } from '../spec';

/** What the task keeps of a trained encoder (src/tasks/skipthought/index.ts writes it after the last epoch). */
export interface NeighboursArtifact {
  /** The sentences searched, in words (e.g. `23,411 training sentences`). */
  pool: string;
  queries: { query: string; neighbours: { sentence: string; cosine: number }[] }[];
}

/** Characters of a line before it is cut with an ellipsis. */
const LINE = 130;
const CHAR_PX = 6.2;
const LINE_PX = 16;

const cut = (s: string) => (s.length > LINE ? `${s.slice(0, LINE - 1)}…` : s);

/** The lines: each query in bold, then its neighbours with their cosines, then a blank line. */
export function neighbourLines(a: NeighboursArtifact): { line: number; text: string; query: boolean }[] {
  const lines: { line: number; text: string; query: boolean }[] = [];
  for (const q of a.queries) {
    lines.push({ line: lines.length, text: cut(`query: ${q.query}`), query: true });
    for (const n of q.neighbours)
      lines.push({ line: lines.length, text: cut(`  ${n.cosine.toFixed(4)}  ${n.sentence}`), query: false });
    lines.push({ line: lines.length, text: '', query: false });
  }
  return lines;
}

export function neighboursChart(a: NeighboursArtifact): ChartPicture {
  const values = neighbourLines(a);
  return {
    title: 'Nearest neighbours of sentence vectors (cosine)',
    subtitle: [`each validation sentence (query) with its nearest among ${a.pool}`],
    body: {
      width: LINE * CHAR_PX,
      height: values.length * LINE_PX,
      data: { values },
      // Two layers, queries bold: vega-lite has no conditional font weight.
      layer: [true, false].map((query) => ({
        transform: [{ filter: `${query ? '' : '!'}datum.query` }],
        mark: {
          type: 'text',
          align: 'left',
          baseline: 'middle',
          fontSize: 11,
          font: 'monospace',
          fontWeight: query ? 'bold' : 'normal',
        },
        encoding: { x: { value: 0 }, y: { field: 'line', type: 'ordinal', axis: null }, text: { field: 'text' } },
      })),
    },
  };
}
