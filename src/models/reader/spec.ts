// model.kind reader: Hermann et al.'s (2015) attentive reader, as the paper's section 6.2 trains it (after Cooijmans
// et al. 2016): word embeddings; a bidirectional recurrent encoder of the document (forward and backward states
// concatenated at every position, y_d(t)) and another of the query (its two final states, u); attention of the
// query over the document's positions; and a score for each candidate answer entity. `norm` applies to the four
// encoders' cells: LSTM, BN-LSTM (Cooijmans et al.) or LN-LSTM (the paper's Fig. 2 and 3).
import { z } from 'zod';
import { normFields, RECURRENT_NORMS } from '../../norm/catalog';
import { finite, positiveInt } from '../../util/fields';
import { CELL_KINDS } from '../cells/catalog';
import { cellGain, recurrentFields } from '../cells/spec';
import type { ModelSpec } from '../spec';

/** How the reader scores candidates (model.answer). */
export const READER_ANSWERS = ['weights', 'sum'] as const;

/** Half-width of the uniform distribution of the word embeddings' initial entries. */
export const EMBEDDING_INIT = 0.1;

export const readerSchema = z
  .object({
    kind: z.literal('reader'),
    cell: z.enum(CELL_KINDS).default('lstm'),
    /** Word embedding size (Hermann et al.: 256). */
    wordDim: positiveInt.default(256),
    /** Units of each direction of each encoder (Hermann et al.: 256; y_d(t) and u have twice as many). */
    hidden: positiveInt.default(256),
    /** Units of the attention's m(t) = tanh(W_ym y_d(t) + W_um u) (Hermann et al.: as the encoder's 2 x hidden). */
    attention: positiveInt.default(512),
    /**
     * How candidates are scored. `weights`: Hermann et al.'s softmax of W(a) g over the candidates, g from the
     * attended document and the query; `sum`: the attention's own mass on each candidate's mentions in the document,
     * renormalized over the candidates (Kadlec et al. 2016's attention-sum reader, with Hermann's attention).
     */
    answer: z.enum(READER_ANSWERS).default('weights'),
    ...recurrentFields,
    ...normFields(RECURRENT_NORMS),
    gainInit: finite().optional(),
  })
  .strict();

export type ReaderConfig = z.infer<typeof readerSchema> & { gainInit: number };

export const reader = {
  kind: 'reader',
  schema: readerSchema,
  task: 'reader',
  views: ['tokens'],
  tiny: [
    { wordDim: 4, hidden: 5, attention: 6 },
    { wordDim: 4, hidden: 5, attention: 6, answer: 'sum' },
  ],
  resolve: (model: z.infer<typeof readerSchema>): ReaderConfig => ({ ...model, gainInit: cellGain(model) }),
} satisfies ModelSpec;
