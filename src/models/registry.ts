// Model builders by `model.kind`; typed over MODEL_KINDS so the schema and the registry cannot drift.
import type { ModelConfig, ModelKind } from '../config/schema';
import { buildConv } from './conv';
import { buildMlp } from './mlp';
import { buildRnn } from './rnn';
import type { BuildOptions, Model } from './types';

type Builders = { [K in ModelKind]: (opts: BuildOptions<Extract<ModelConfig, { kind: K }>>) => Model };

export const MODELS: Builders = {
  mlp: buildMlp,
  conv: buildConv,
  rnn: buildRnn,
};

export function buildModel(opts: BuildOptions<ModelConfig>): Model {
  const build = MODELS[opts.config.kind] as (o: BuildOptions<ModelConfig>) => Model;
  return build(opts);
}
