// Model builders by `model.kind`; typed over MODEL_KINDS so the schema and the registry cannot drift.
import type { ModelConfig, ModelKind } from '../config/schema';
import { buildConv } from './conv';
import { buildMlp } from './mlp';
import { buildRnn } from './rnn';
import type { BuildOptions, Model } from './types';

/** Model kinds that classify (retrieval and DRAW have their own models, src/models/retrieval.ts and draw.ts). */
export type ClassifierKind = Exclude<ModelKind, 'retrieval' | 'draw'>;
type ClassifierConfig = Extract<ModelConfig, { kind: ClassifierKind }>;

type Builders = { [K in ClassifierKind]: (opts: BuildOptions<Extract<ModelConfig, { kind: K }>>) => Model };

const MODELS: Builders = {
  mlp: buildMlp,
  conv: buildConv,
  rnn: buildRnn,
};

export function buildModel(opts: BuildOptions<ClassifierConfig>): Model {
  const build = MODELS[opts.config.kind] as (o: BuildOptions<ClassifierConfig>) => Model;
  return build(opts);
}
