// model.kind rnn: a recurrent classifier for sequential MNIST: one LSTM or GRU layer read over the steps of the data
// view, then dense -> softmax on the last hidden state. `norm: layer` gives the LN-LSTM / LN-GRU of the paper's
// supplementary material, `norm: batch` the BN-LSTM of Cooijmans et al. (LSTM only), `norm: weight` weight norm of
// the cell's weights (every column of W_x, W_h; the GRU's W, U too). `gainInit` unset means the norm's gain inside a
// cell: 1 for layer norm (weight norm: 1 times each column's initial norm), 0.1 for batch norm (Cooijmans et al.:
// gamma 1 saturates tanh).
import { z } from 'zod';
import { normFields, RNN_NORMS } from '../../norm/catalog';
import { finite, positiveInt } from '../../util/fields';
import { CELL_KINDS } from '../cells/catalog';
import { cellGain, recurrentFields } from '../cells/spec';
import type { ModelSpec } from '../spec';

export const rnnSchema = z
  .object({
    kind: z.literal('rnn'),
    cell: z.enum(CELL_KINDS).default('lstm'),
    hidden: positiveInt.default(100),
    ...recurrentFields,
    ...normFields(RNN_NORMS),
    gainInit: finite().optional(),
  })
  .strict();

export type RnnConfig = z.infer<typeof rnnSchema> & { gainInit: number };

export const rnn = {
  kind: 'rnn',
  schema: rnnSchema,
  task: 'classification',
  views: ['rows', 'pixels'],
  tiny: [{ hidden: 16 }],
  resolve: (model: z.infer<typeof rnnSchema>): RnnConfig => ({ ...model, gainInit: cellGain(model) }),
} satisfies ModelSpec;
