// The model a config asks for, built by its kind's implementation (src/models/<kind>/index.ts, found by name).
import { implementationOf } from '../util/registry';
import type { Module } from '../util/module';
import type { ModelConfig } from './catalog';
import type { BuildOptions, DataShape, ModelEstimate, ModelImplementation } from './types';

const isImplementation = (x: unknown): x is ModelImplementation =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as ModelImplementation).build === 'function' &&
  typeof (x as ModelImplementation).estimate === 'function';

function implementation(config: ModelConfig): ModelImplementation<ModelConfig> {
  return implementationOf(__dirname, 'model.kind', config.kind, isImplementation) as ModelImplementation<ModelConfig>;
}

/** The model `opts.config` describes; the task that asked for it knows which interface it has (e.g. Classifier). */
export function buildModel<M extends Module = Module>(opts: BuildOptions<ModelConfig>): M {
  return implementation(opts.config).build(opts) as M;
}

/** Its size, before anything is built. */
export function estimateModel(config: ModelConfig, data: DataShape): ModelEstimate {
  return implementation(config).estimate(config, data);
}
