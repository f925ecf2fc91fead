// The skip-thought task's columns and data keys (paper section 6.3, Kiros et al. 2015 on sentence triples of
// contiguous book text): the decoders' NLL per predicted word in nats, for training, validation and test triples,
// and the downstream accuracy of the frozen sentence vectors on three sentiment sets (10-fold cross-validated
// logistic regression; the paper's Table 3 reports the same kind of numbers for MR, CR, SUBJ and MPQA).
import { DEFAULT_BOOKS } from '../../data/text/books';
import { SENTIMENT_SETS } from '../../data/text/sentiment-sets';
import { positiveInt } from '../../util/fields';
import { fixed } from '../../util/format';
import { sourceDefaults, type TaskSpec } from '../spec';
import { bookFields } from '../text-fields';
import { neighboursChart, type NeighboursArtifact } from './neighbours-chart';

/** Accuracy columns of the downstream sets (fraction right, 10-fold cross-validated), then their mean. */
export const DOWNSTREAM_COLUMNS = [...SENTIMENT_SETS.map((s) => `${s}_acc`), 'mean_acc'] as const;

export const SKIPTHOUGHT_COLUMNS = ['train_nll', 'valid_nll', 'test_nll', ...DOWNSTREAM_COLUMNS] as const;

/** The data source of sentence triples (src/data/text/triples.ts), the one this task reads. */
export const TRIPLES_SOURCE = 'books-sentences';

/** Kiros et al.'s vocabulary of 20,000 words; sentences cut at 50 tokens (triples.ts says why). */
export const TRIPLE_DEFAULTS = { books: DEFAULT_BOOKS, maxVocab: 20000, maxTokens: 50 } as const;

export const skipthought = {
  name: 'skipthought',
  columns: SKIPTHOUGHT_COLUMNS,
  lossColumn: 'train_nll',
  // An untrained model scores about ln(vocabulary) nats a word (9.9 for 20,000); ten times that is a blow-up.
  divergence: { factor: 10, columns: ['train_nll', 'valid_nll', 'test_nll'] },
  claimable: SKIPTHOUGHT_COLUMNS,
  epochText: (row) =>
    `train_nll ${fixed(row.train_nll)} valid_nll ${fixed(row.valid_nll)} mean_acc ${fixed(row.mean_acc)}`,
  tableColumns: ['valid_nll', 'test_nll', 'train_nll', ...DOWNSTREAM_COLUMNS],
  curves: [
    { measure: 'train_nll', title: 'train NLL (nats per word)' },
    { measure: 'valid_nll', title: 'validation NLL (nats per word)' },
    { measure: 'mean_acc', title: 'sentiment accuracy (mean of 3)' },
  ],
  sweepAxis: { measure: 'mean_acc', title: 'sentiment accuracy (mean of 3)' },
  finalColumns: [
    { measure: 'train_nll', digits: 4 },
    { measure: 'valid_nll', digits: 4 },
    { measure: 'test_nll', digits: 4 },
    ...DOWNSTREAM_COLUMNS.map((measure) => ({ measure, digits: 4 })),
  ],
  bars: [
    {
      name: 'downstream',
      heading: 'Downstream accuracy',
      title: 'sentiment accuracy of the frozen sentence vectors (10-fold CV)',
      xTitle: 'set',
      yTitle: 'accuracy (fraction)',
      domain: [0, 1],
      groups: [{ title: 'after the last epoch', bars: Object.fromEntries(SENTIMENT_SETS.map((s) => [s, `${s}_acc`])) }],
    },
  ],
  pictures: [
    {
      artifact: 'neighbours',
      title: 'Nearest training sentences of validation sentences (cosine of the sentence vectors)',
      chart: (a) => neighboursChart(a as NeighboursArtifact),
    },
  ],
  sources: [TRIPLES_SOURCE],
  dataFields: {
    ...bookFields,
    /** Books-sentences data only: the longest sentence in tokens, a longer one cut to its first maxTokens. */
    maxTokens: positiveInt.max(1000).optional(),
  },
  resolveData: sourceDefaults(TRIPLES_SOURCE, TRIPLE_DEFAULTS),
} satisfies TaskSpec;
