// norm: none builds no layer: dense and conv layers keep their own bias, cells their own biases.
import type { NormImplementation } from '../types';

export const implementation: NormImplementation = {};
