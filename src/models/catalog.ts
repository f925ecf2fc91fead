// Every model kind, by model.kind: one line each (a model kind is a folder src/models/<kind>/: spec.ts, which
// imports no tfjs, and index.ts, its builder and memory estimate, found by that name: src/models/registry.ts).
import { conv } from './conv/spec';
import { draw } from './draw/spec';
import { handwriting } from './handwriting/spec';
import { mlp } from './mlp/spec';
import { reader } from './reader/spec';
import { retrieval } from './retrieval/spec';
import { rnn } from './rnn/spec';
import { skipthought } from './skipthought/spec';
import type { ModelSpec } from './spec';

export const MODELS = { mlp, conv, rnn, retrieval, draw, handwriting, reader, skipthought } as const satisfies Record<
  string,
  ModelSpec
>;
export type ModelKind = keyof typeof MODELS;
export const MODEL_KINDS = Object.keys(MODELS) as [ModelKind, ...ModelKind[]];

/** A kind's parsed config: what its resolve returns, or what its schema parses to. */
type ConfigOf<S> = S extends { resolve: (m: never) => infer C }
  ? C
  : S extends { schema: infer Z extends import('zod').ZodTypeAny }
    ? import('zod').infer<Z>
    : never;
export type ModelConfig = { [K in ModelKind]: ConfigOf<(typeof MODELS)[K]> }[ModelKind];
