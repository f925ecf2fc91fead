// norm: weight: weight normalization (Salimans & Kingma 2016), w = g * v / ||v|| per output unit of each weight a
// hidden layer multiplies by (a dense kernel's column, a conv filter's output channel over k * k * in, each column of
// a cell's W_x, W_h, W, U); the softmax layer's weight is never normalized, as with the other norms. It normalizes no
// activations, so layers and cells keep their own biases (identity), and adds one trained gain g per output unit.
//
// g's initial value: g_j = model.gainInit * ||v_j|| of v's initial (Glorot) column, so that with the default gainInit
// of 1 the model starts as the same function as `norm: none` of the same seed (PyTorch's weight_norm does the same),
// and the two differ only in how they train. Salimans & Kingma's data-dependent initialization of g and the bias (their
// section 3: the first batch's pre-activations made zero-mean and unit-variance) is not built. g = gainInit itself
// would make every column unit-norm, rescaling the Glorot init by 1 / ||v_j|| (about 1 to 3 for the tiny to paper-size
// layers here), a change of init rather than of parameterization.
import type { NormSpec } from '../spec';

export const weight = {
  name: 'weight',
  label: 'weight norm',
  abbreviation: '',
  colour: '#e09b24',
  identity: true,
  parameters: () => 0,
  weightParameters: (units) => units,
} satisfies NormSpec;
