// The handwriting task's columns, pictures and data keys (paper section 6.5, Graves 2013 section 4): the negative
// log-likelihood of pen-offset sequences in nats, per sequence for training and test and per point for test;
// sequences sampled from each trained model and test sequences coloured by the model's per-point NLL.
import { positiveInt } from '../../util/fields';
import { fixed } from '../../util/format';
import { sourceDefaults, type TaskSpec } from '../spec';
import {
  NLL_COLOUR_LEGEND,
  nllTiles,
  strokeTiles,
  type StrokeNllArtifact,
  type StrokeSamplesArtifact,
} from './strokes-picture';

export const HANDWRITING_COLUMNS = ['train_nll', 'test_nll', 'test_nll_per_point'] as const;

/** The data source of stroke sequences (src/data/strokes/), the one this task reads. */
export const STROKE_SOURCE = 'hanzi';
/** data.charsPerSequence's default: one character a sequence. */
export const CHARS_PER_SEQUENCE = 1;

export const handwriting = {
  name: 'handwriting',
  columns: HANDWRITING_COLUMNS,
  lossColumn: 'train_nll',
  // An untrained network scores some 3-4 nats a point (hundreds a sequence); ten times that is a blow-up.
  divergence: { factor: 10, columns: ['train_nll', 'test_nll'] },
  claimable: HANDWRITING_COLUMNS,
  epochText: (row) =>
    `train_nll ${fixed(row.train_nll, 2)} test_nll ${fixed(row.test_nll, 2)} ` +
    `(${fixed(row.test_nll_per_point, 4)} a point)`,
  tableColumns: ['test_nll', 'test_nll_per_point', 'train_nll'],
  curves: [
    { measure: 'train_nll', title: 'train NLL (nats per sequence)' },
    { measure: 'test_nll_per_point', title: 'test NLL (nats per point)' },
  ],
  sweepAxis: { measure: 'test_nll', title: 'test NLL (nats per sequence)' },
  finalColumns: [
    { measure: 'train_nll', digits: 2 },
    { measure: 'test_nll', digits: 2 },
    { measure: 'test_nll_per_point', digits: 4 },
  ],
  pictures: [
    {
      artifact: 'samples',
      title: 'Sequences sampled from the trained network (same random stream for every run)',
      tiles: (a) => strokeTiles(a as StrokeSamplesArtifact),
    },
    {
      artifact: 'nll',
      title: `Test sequences, each segment coloured by the model's NLL of its end point (${NLL_COLOUR_LEGEND})`,
      tiles: (a) => nllTiles(a as StrokeNllArtifact),
    },
  ],
  sources: [STROKE_SOURCE],
  dataFields: {
    /** Stroke data only: characters joined into one sequence (1: a character; 3: about an IAM line). */
    charsPerSequence: positiveInt.max(100).optional(),
  },
  resolveData: sourceDefaults(STROKE_SOURCE, { charsPerSequence: CHARS_PER_SEQUENCE }),
} satisfies TaskSpec;
