// The reader task's columns and data keys (paper section 6.2, Hermann et al. 2015's attentive reader on cloze
// questions made from books as the Children's Book Test makes them): the answer's negative log-likelihood in nats
// and the error rate, for training, validation (the paper's Fig. 2 and 3 plot it against updates) and test.
import { z } from 'zod';
import { DEFAULT_BOOKS } from '../../data/text/books';
import { positiveInt } from '../../util/fields';
import { fixed } from '../../util/format';
import { sourceDefaults, type TaskSpec } from '../spec';
import { bookFields } from '../text-fields';
import { attentionChart, type AttentionArtifact } from './attention-chart';

export const READER_COLUMNS = ['train_nll', 'valid_nll', 'valid_error', 'test_nll', 'test_error'] as const;

/** The data source of cloze questions (src/data/text/), the one this task reads. */
export const CLOZE_SOURCE = 'cloze';

/** The Children's Book Test's settings (Hill et al. 2016): 20 sentences of context, 10 candidates. */
export const CLOZE_DEFAULTS = {
  books: DEFAULT_BOOKS,
  contextSentences: 20,
  candidates: 10,
  maxVocab: 20000,
} as const;

export const reader = {
  name: 'reader',
  columns: READER_COLUMNS,
  lossColumn: 'train_nll',
  // An untrained reader scores about ln(candidates) nats (2.3 for 10); ten times that is a blow-up.
  divergence: { factor: 10, columns: ['train_nll', 'valid_nll', 'test_nll'] },
  claimable: READER_COLUMNS,
  epochText: (row) =>
    `train_nll ${fixed(row.train_nll)} valid_error ${fixed(row.valid_error)} test_error ${fixed(row.test_error)}`,
  tableColumns: ['valid_error', 'test_error', 'test_nll', 'train_nll'],
  curves: [
    { measure: 'train_nll', title: 'train NLL (nats)' },
    { measure: 'valid_error', title: 'validation error (fraction)' },
  ],
  sweepAxis: { measure: 'valid_error', title: 'validation error (fraction)' },
  finalColumns: [
    { measure: 'valid_error', digits: 4 },
    { measure: 'test_error', digits: 4 },
    { measure: 'valid_nll', digits: 4 },
    { measure: 'test_nll', digits: 4 },
    { measure: 'train_nll', digits: 4 },
  ],
  pictures: [
    {
      artifact: 'attention',
      title: 'Attention over the first validation document (darker: more weight)',
      chart: (a) => attentionChart(a as AttentionArtifact),
    },
  ],
  sources: [CLOZE_SOURCE],
  dataFields: {
    ...bookFields,
    /** Cloze data only: sentences of context before each query (the Children's Book Test: 20). */
    contextSentences: positiveInt.max(100).optional(),
    /** Cloze data only: candidate entities per question, the answer among them (CBT: 10). */
    candidates: z.number().int().min(2).max(100).optional(),
  },
  resolveData: sourceDefaults(CLOZE_SOURCE, CLOZE_DEFAULTS),
} satisfies TaskSpec;
