// The experiment file's schema (zod): a run config (src/tasks/schema.ts, assembled from every kind's spec) plus the
// sweep, the sweep points left out, and the claims its results should bear out. Defaults live in the kinds' specs
// (the README's config reference is checked against them by test/readme.test.ts).
import { z } from 'zod';
import { CLAIM_METRICS } from '../tasks/catalog';
import { runConfigObject } from '../tasks/schema';
import { finite } from '../util/fields';

export { runConfigSchema, type DataConfig, type RunConfig } from '../tasks/schema';
export type { TrainConfig } from '../train/spec';

/** A sweep: dotted config path -> the values it takes. Runs are the cartesian product. */
export const sweepSchema = z.record(z.string(), z.array(z.unknown()).min(1));

/** Runs whose config has these values (dotted path -> value), e.g. { model.norm: layer }. */
const selector = z.record(z.string(), z.unknown());
const relation = z.enum(['<', '>']);
/**
 * By more than this; a negative margin is a tolerance ("comparable": with margin -2, a < b holds when a exceeds b
 * by less than 2, i.e. a < b + 2; a > b when a falls below b by less than 2).
 */
const margin = finite().default(0);

/** Group a's mean relation group b's mean, by more than `margin`. */
const compareSchema = z.object({ a: selector, b: selector, relation, margin }).strict();
/** The change of the metric from key=from to key=to, group a's change relation group b's. */
const degradationSchema = z
  .object({ key: z.string(), from: z.unknown(), to: z.unknown(), a: selector, b: selector, relation, margin })
  .strict();
/**
 * Max minus min over the values of `key` of group a's means, relation group b's (or a fixed bound); over the
 * listed `values` only, when given (so that both groups spread over the same points), else over every value the
 * group's runs take.
 */
const spreadSchema = z
  .object({
    key: z.string(),
    values: z.array(z.unknown()).min(2).optional(),
    a: selector,
    b: selector.optional(),
    bound: finite().optional(),
    relation,
    margin,
  })
  .strict()
  .refine((s) => (s.b === undefined) !== (s.bound === undefined), {
    message: 'give exactly one of b (a group) and bound (a number)',
  });

export const claimSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'an id of letters, digits, ".", "_" or "-"'),
    claim: z.string(),
    paper: z.string(),
    metric: z.enum(CLAIM_METRICS),
    /** Epoch whose metrics are compared: `last` (each run's final epoch) or a number. */
    epoch: z.union([z.literal('last'), z.number().int().positive()]).default('last'),
    /** Instead of an epoch: the update count whose row is compared (an epoch's end or a train.evalEvery row). */
    step: z.number().int().positive().optional(),
    /** `known-deviation`: we know it does not reproduce at this scale (XFAIL; XPASS if it starts to hold). */
    status: z.enum(['expected', 'known-deviation']).default('expected'),
    reason: z.string().optional(),
    compare: compareSchema.optional(),
    degradation: degradationSchema.optional(),
    spread: spreadSchema.optional(),
  })
  .strict()
  .refine((c) => [c.compare, c.degradation, c.spread].filter(Boolean).length === 1, {
    message: 'give exactly one of compare, degradation, spread',
  })
  .refine((c) => c.step === undefined || c.epoch === 'last', {
    message: 'give epoch or step, not both',
    path: ['step'],
  })
  .refine((c) => c.status !== 'known-deviation' || Boolean(c.reason), {
    message: 'a known-deviation needs a reason',
    path: ['reason'],
  });

/** Sweep points to leave out: each entry a partial assignment of swept keys (dotted path -> value). */
export const excludeSchema = z.array(z.record(z.string(), z.unknown()));

/**
 * The file a user writes: a run config plus an optional sweep (minus the points `exclude` names) and the claims
 * its results should bear out.
 */
export const experimentSchema = runConfigObject
  .extend({ sweep: sweepSchema.optional(), exclude: excludeSchema.optional(), expect: z.array(claimSchema).optional() })
  .strict();

export type Claim = z.infer<typeof claimSchema>;

export type Sweep = z.infer<typeof sweepSchema>;
export type Exclusion = z.infer<typeof excludeSchema>[number];
