// norm: batch: batch norm on feed-forward layers (batch-norm.ts), per time step inside recurrences (recurrent.ts,
// Cooijmans et al. 2016), and, with model.bnStats population, the pass after each epoch that computes its
// evaluation statistics (population.ts).
import type { NormImplementation } from '../types';
import { createBatchNorm } from './batch-norm';
import { beginPopulationPass } from './population';
import { RecurrentBatchNorm } from './recurrent';
import { batchSettings } from './spec';

export const implementation: NormImplementation = {
  layer: createBatchNorm,
  recurrent: (o) => {
    const bn = new RecurrentBatchNorm(o);
    return {
      parameters: () => bn.parameters(),
      buffers: () => bn.buffers(),
      apply: bn.apply.bind(bn),
      fused: bn.fused,
    };
  },
  statisticsPass: (settings) => {
    const own = batchSettings(settings);
    return own.bnStats === 'population' ? { batchSize: own.bnStatsBatch, begin: beginPopulationPass } : undefined;
  },
};
