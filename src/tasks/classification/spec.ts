// The classification task's columns and figures (MLP, convnet and RNN on MNIST digits): cross-entropy in nats,
// test NLL and error.
import { fixed } from '../../util/format';
import type { TaskSpec } from '../spec';

const COLUMNS = ['train_nll', 'test_nll', 'test_error'] as const;

export const classification = {
  name: 'classification',
  columns: COLUMNS,
  lossColumn: 'train_nll',
  // An untrained classifier scores about ln(classes) nats (2.3 for digits): a bound of ~23 nats.
  divergence: { factor: 10, columns: ['train_nll', 'test_nll'] },
  claimable: ['test_error', 'test_nll', 'train_nll'],
  epochText: (row) =>
    `train_nll ${fixed(row.train_nll)} test_nll ${fixed(row.test_nll)} test_error ${fixed(row.test_error)}`,
  tableColumns: ['test_error', 'test_nll', 'train_nll'],
  curves: [
    { measure: 'train_nll', title: 'train NLL (nats, log scale)', log: true },
    { measure: 'test_error', title: 'test error (fraction)' },
  ],
  sweepAxis: { measure: 'test_error', title: 'test error (fraction)' },
  finalColumns: [
    { measure: 'test_error', digits: 4 },
    { measure: 'test_nll', digits: 4 },
    { measure: 'train_nll', digits: 4 },
  ],
} satisfies TaskSpec;
