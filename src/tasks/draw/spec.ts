// The DRAW task's columns and pictures (paper section 6.4): the variational bound in nats per example, for training
// and test, and the test bound's two terms; digits drawn from the prior and the canvas step by step.
import { fixed } from '../../util/format';
import type { TaskSpec, Tiles } from '../spec';

export const DRAW_COLUMNS = ['train_bound', 'test_bound', 'test_recon', 'test_kl'] as const;

/** Digits generated from the prior, as a grid (src/tasks/draw/index.ts writes it). */
export interface SamplesArtifact {
  rows: number;
  cols: number;
  side: number;
  /** rows * cols digits of side^2 bytes (0-255), base64. */
  pixels: string;
}

/** A few test digits and the canvas sigmoid(c_t) after each step of reconstructing them. */
export interface StripArtifact {
  digits: number;
  steps: number;
  side: number;
  /** digits * side^2 bytes, base64. */
  inputs: string;
  /** digits * steps * side^2 bytes, digit-major, base64. */
  pixels: string;
}

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

/** Per digit a row: its input, then its canvas after each step. */
function stripTiles(a: StripArtifact): Tiles {
  const size = a.side * a.side;
  const [inputs, canvases] = [bytes(a.inputs), bytes(a.pixels)];
  const cols = a.steps + 1;
  const pixels = new Uint8Array(a.digits * cols * size);
  for (let d = 0; d < a.digits; d++) {
    pixels.set(inputs.subarray(d * size, (d + 1) * size), d * cols * size);
    pixels.set(canvases.subarray(d * a.steps * size, (d + 1) * a.steps * size), (d * cols + 1) * size);
  }
  return { rows: a.digits, cols, side: a.side, pixels };
}

export const draw = {
  name: 'draw',
  columns: DRAW_COLUMNS,
  lossColumn: 'train_bound',
  // An untrained DRAW scores about 543 nats on binarized digits (784 pixels at p = 0.5, and a small KL): ~5,400.
  divergence: { factor: 10, columns: ['train_bound', 'test_bound'] },
  claimable: DRAW_COLUMNS,
  epochText: (row) =>
    `train_bound ${fixed(row.train_bound, 2)} test_bound ${fixed(row.test_bound, 2)} ` +
    `(recon ${fixed(row.test_recon, 2)} + KL ${fixed(row.test_kl, 2)})`,
  tableColumns: ['test_bound', 'test_recon', 'test_kl', 'train_bound'],
  curves: [
    { measure: 'train_bound', title: 'train bound (nats, -ELBO per example)' },
    { measure: 'test_bound', title: 'test bound (nats, -ELBO per example)' },
  ],
  sweepAxis: { measure: 'test_bound', title: 'test bound (nats)' },
  finalColumns: DRAW_COLUMNS.map((measure) => ({ measure, digits: 2 })),
  pictures: [
    {
      artifact: 'samples',
      title: 'Digits drawn from the prior (same z for every run)',
      tiles: (a) => {
        const s = a as SamplesArtifact;
        return { rows: s.rows, cols: s.cols, side: s.side, pixels: bytes(s.pixels) };
      },
    },
    {
      artifact: 'strip',
      title: 'The canvas step by step (each row: a test digit, then sigmoid(c_t) for t = 1..T)',
      tiles: (a) => stripTiles(a as StripArtifact),
    },
  ],
  checks: [
    // Gaussian filterbanks read and write patches of neighbouring pixels (Gregor et al. 2015, section 3.2); the
    // pixels of a permuted image are not neighbours, so the attention would be meaningless, not harder.
    ({ model, data }) =>
      model.kind !== 'draw' || model.attention === 'none' || data.permute !== true
        ? undefined
        : {
            path: ['data', 'permute'],
            message:
              'permuted pixels have no neighbours, and Gaussian attention (model.attention gaussian, the default) reads and writes patches of neighbouring pixels: set data.permute false, or model.attention none',
          },
  ],
} satisfies TaskSpec;
