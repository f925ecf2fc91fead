// One run's config (zod, no tfjs): name, data, model, train, assembled from what each kind declares (the data
// sources, the model kinds with their norms and cells, the tasks' data keys), with the checks that span sections.
// Its inferred type is the run config every part of the program reads; defaults live in the kinds' specs.
import { z } from 'zod';
import { SOURCE_NAMES } from '../data/catalog';
import { dataFields, refuseData, type DataFields } from '../data/schema';
import { IDX_DIR } from '../data/sources/idx';
import { MODELS, type ModelConfig, type ModelKind } from '../models/catalog';
import type { ModelSpec } from '../models/spec';
import { NORMS, type NormKind } from '../norm/catalog';
import type { NormSpec } from '../norm/spec';
import { groupsFor } from '../norm/group/spec';
import { trainSchema } from '../train/spec';
import { isRecord } from '../util/values';
import { taskOf, TASKS } from './catalog';
import type { ConfigCheck, ParsedRun, TaskSpec } from './spec';

const specs = Object.values(MODELS) as ModelSpec[];
const tasks = Object.values(TASKS) as TaskSpec[];

/** Every data view some model kind reads, in catalog order. */
const VIEWS = [...new Set(specs.flatMap((s) => s.views))] as [string, ...string[]];

/** The sources of other examples than images (pen strokes), each read by the tasks that name it. */
const OTHER_SOURCES = [...new Set(tasks.flatMap((t) => t.sources ?? []))];

const dataSchema = z
  .object({
    ...dataFields,
    /** An image source (src/data/catalog.ts), or one a task reads (its spec's `sources`). */
    source: z.enum([...SOURCE_NAMES, ...OTHER_SOURCES] as [string, ...string[]]).default('bundled'),
    /** What the model sees: one of the views its kind reads (its spec's `views`; README lists them). */
    view: z.enum(VIEWS).default('flat'),
    ...Object.assign({}, ...tasks.map((t) => t.dataFields ?? {})),
  })
  .strict();

const modelSchema = z.discriminatedUnion(
  'kind',
  specs.map((s) => s.schema) as unknown as [z.AnyZodObject, z.AnyZodObject, ...z.AnyZodObject[]],
);

export const runConfigObject = z
  .object({
    // One folder under --out: no separators, and no leading dot (".", ".." and hidden folders).
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/,
        'a name of letters, digits, ".", "_" or "-", not starting with "." (it names one folder under --out)',
      ),
    description: z.string().default(''),
    data: dataSchema,
    model: modelSchema,
    train: trainSchema.default({}),
  })
  .strict();

/**
 * The data section after parsing: the keys every task reads, the view, and the keys of a task's own (its spec's
 * dataFields, filled in for its runs by its resolveData), which that task reads and checks.
 */
export type DataConfig = DataFields & { view: string; readonly [key: string]: unknown };
export type RunConfig = Omit<z.infer<typeof runConfigObject>, 'data' | 'model'> & {
  data: DataConfig;
  model: ModelConfig;
};

/** The model kinds whose task reads `source`. */
const readersOf = (source: string) =>
  specs
    .filter((s) => (TASKS as Record<string, TaskSpec>)[s.task]?.sources?.includes(source))
    .map((s) => `model.kind ${s.kind}`)
    .join(', ');

const normOf = (run: ParsedRun): NormSpec => NORMS[run.model.norm as NormKind];

/**
 * The data keys of the tasks with their own sources (their dataFields), each refused under a data.source that no
 * task declaring it reads (a key two tasks share, e.g. data.books, applies under both tasks' sources).
 */
function sourceKeyChecks(): ConfigCheck[] {
  const owners = tasks.filter((t) => t.sources);
  const keys = [...new Set(owners.flatMap((t) => Object.keys(t.dataFields ?? {})))];
  return keys.map((key): ConfigCheck => {
    const declaring = owners.filter((t) => Object.hasOwn(t.dataFields ?? {}, key));
    const sources = [...new Set(declaring.flatMap((t) => t.sources ?? []))];
    return ({ data }) =>
      sources.includes(data.source as string) || data[key] === undefined
        ? undefined
        : { path: ['data', key], message: `applies to data.source ${sources.join(' or ')} only` };
  });
}

/** The checks across sections: views, norms against cells and batches, batch sizes, then each task's and source's. */
const CHECKS: readonly ConfigCheck[] = [
  ({ model, data }) =>
    MODELS[model.kind as ModelKind].views.includes(data.view)
      ? undefined
      : {
          path: ['data', 'view'],
          message: `${specs.map((s, i) => `${s.kind}${i === 0 ? ' takes data.view' : ''} ${s.views.join(' or ')}`).join(', ')}`,
        },
  (run) => {
    const cells = normOf(run).cells;
    const cell = run.model.cell;
    return typeof cell !== 'string' || !cells || cells.names.includes(cell)
      ? undefined
      : { path: ['model', 'norm'], message: cells.reason };
  },
  (run) => {
    if (run.model.norm !== 'group') return undefined;
    const groups = (run.model as { groups?: number }).groups!;
    const spec = MODELS[run.model.kind as ModelKind] as ModelSpec;
    const widths = spec.normalizedWidths?.(run.model as never) ?? [];
    const bad = widths.find((w) => w % groupsFor(groups, w) !== 0);
    if (bad !== undefined)
      return {
        path: ['model', 'groups'],
        message: `${groups} groups (capped at a layer's channels) must divide each normalized layer's channels, and ${bad} is not a multiple of ${groupsFor(groups, bad)}: widths ${widths.join(', ')}`,
      };
    const single = spec.unitsOnly ? widths.find((w) => w / groupsFor(groups, w) < 2) : undefined;
    return single === undefined
      ? undefined
      : {
          path: ['model', 'groups'],
          message: `${groups} groups leave one unit a group in the layer of ${single} units: group norm would map it to its bias (variance 0) and no gradient would reach its weights; give at most ${Math.floor(single / 2)} groups`,
        };
  },
  // PyTorch refuses the same in training ("Expected more than 1 value per channel when training").
  (run) =>
    !normOf(run).batchStatistics || run.train.batchSize >= 2
      ? undefined
      : {
          path: ['train', 'batchSize'],
          message: `${normOf(run).label} needs at least 2 examples per batch (a batch of one has variance 0: training maps every unit to its bias, and evaluation divides by sqrt(epsilon)); PyTorch refuses it too`,
        },
  ({ train, data }) =>
    train.batchSize <= data.train
      ? undefined
      : {
          path: ['train', 'batchSize'],
          message: `${train.batchSize} is larger than data.train (${data.train}): every epoch would be one batch of ${data.train}, not of the batch size recorded; set train.batchSize to at most ${data.train}, or data.train to at least ${train.batchSize}`,
        },
  (run) =>
    !normOf(run).batchStatistics || run.data.train >= 2
      ? undefined
      : {
          path: ['data', 'train'],
          message: `${normOf(run).label} needs at least 2 training examples (a batch of one has no variance)`,
        },
  (run) => {
    const task = taskOf(run as unknown as { model: { kind: ModelKind } });
    const reads: readonly string[] = task.sources ?? SOURCE_NAMES;
    return reads.includes(run.data.source as string)
      ? undefined
      : {
          path: ['data', 'source'],
          message: `model.kind ${run.model.kind} reads data.source ${reads.length > 1 ? 'one of ' : ''}${reads.join(', ')}${task.sources ? '' : ` (${run.data.source as string} is read by ${readersOf(run.data.source as string)})`}`,
        };
  },
  ...tasks.flatMap((t) => t.checks ?? []),
  ...sourceKeyChecks(),
  ({ data }) =>
    OTHER_SOURCES.includes(data.source as string) && data.permute === true
      ? { path: ['data', 'permute'], message: `permutes pixels; data.source ${data.source as string} has no images` }
      : undefined,
  ({ data }) =>
    OTHER_SOURCES.includes(data.source as string) && data.dir !== IDX_DIR
      ? {
          path: ['data', 'dir'],
          message: `applies to data.source idx only (${data.source as string} reads its npm package)`,
        }
      : undefined,
  ({ data }) => {
    if (!(SOURCE_NAMES as readonly string[]).includes(data.source as string)) return undefined;
    const refused = refuseData(data as unknown as DataFields);
    return refused && { path: ['data', refused.key], message: refused.message };
  },
];

/** A parsed config with the defaults that depend on other keys: the model kind's and its task's data keys. */
function resolve(c: z.infer<typeof runConfigObject>): RunConfig {
  const spec: ModelSpec = MODELS[c.model.kind as ModelKind];
  const model = (spec.resolve ? spec.resolve(c.model as never) : c.model) as ModelConfig;
  const task = taskOf({ model });
  const data = (task.resolveData ? task.resolveData(c.data) : c.data) as DataConfig;
  return { ...c, data, model };
}

/**
 * `value` as a check sees it, adding to `read` the dotted path of each value the check reads below a map
 * (`data.train`, `model.hidden`), so that what a check depends on is known without a list to keep in step with it.
 */
function recording(value: object, read: Set<string>, prefix = ''): object {
  return new Proxy(value, {
    get(target, key, receiver) {
      const v: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return v;
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (isRecord(v)) return recording(v, read, path);
      read.add(path);
      return v;
    },
  });
}

/**
 * The dotted paths of the values the schema refused in `c` (zod keeps a value of the right type that fails a
 * check, such as data.train 1.5 against int(), and runs the refinement on it). An unknown key refuses none.
 */
function refusedPaths(c: unknown): string[] {
  const parsed = runConfigObject.safeParse(c);
  if (parsed.success) return [];
  return parsed.error.issues.filter((i) => i.code !== 'unrecognized_keys').map((i) => i.path.join('.'));
}

/** Whether two dotted paths are the same value or one holds the other. */
const overlap = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);

/**
 * The checks across keys, each on values the schema accepted: a check that read a refused value says nothing, as
 * its message would be about that value ("set train.batchSize to at most 1.5" after "data.train: expected integer").
 */
export const runConfigSchema = runConfigObject
  .superRefine((c, ctx) => {
    let refused: string[] | undefined;
    for (const check of CHECKS) {
      const read = new Set<string>();
      const problem = check(recording(c, read) as ParsedRun);
      if (!problem) continue;
      refused ??= refusedPaths(c);
      if (refused.some((r) => [...read].some((p) => overlap(p, r)))) continue;
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: problem.path, message: problem.message });
    }
  })
  .transform(resolve);
