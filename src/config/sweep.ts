// Sweep expansion: the cartesian product of the swept values, in a stable order, each run with a readable id.
import type { RunConfig, Sweep } from './schema';

export interface RunSpec {
  /** Readable, stable, folder-safe: `norm=layer,batchSize=4,seed=1`; `default` when nothing is swept. */
  readonly runId: string;
  /** Swept dotted path -> this run's value, in sweep order. */
  readonly swept: Readonly<Record<string, unknown>>;
  readonly config: Readonly<RunConfig>;
}

/**
 * Every combination of the sweep's values, as nested loops in the order the keys are written:
 * the first key varies slowest, the last fastest. An empty sweep gives one combination.
 */
export function sweepCombinations(sweep: Sweep): Record<string, unknown>[] {
  let combos: Record<string, unknown>[] = [{}];
  for (const [path, values] of Object.entries(sweep)) {
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [path]: value })));
  }
  return combos;
}

function formatValue(value: unknown): string {
  const text = Array.isArray(value)
    ? value.map(formatValue).join('x')
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value as string | number | boolean | null | undefined);
  return text.replace(/[^A-Za-z0-9._+-]/g, '_');
}

/** Labels for the swept paths: the last segment (`norm`), or the whole path where last segments collide. */
function labels(paths: string[]): Record<string, string> {
  const last = (p: string) => p.split('.').pop()!;
  const out: Record<string, string> = {};
  for (const p of paths) out[p] = paths.filter((q) => last(q) === last(p)).length > 1 ? p : last(p);
  return out;
}

export function runIdOf(swept: Record<string, unknown>): string {
  const paths = Object.keys(swept);
  if (paths.length === 0) return 'default';
  const label = labels(paths);
  return paths.map((p) => `${label[p]}=${formatValue(swept[p])}`).join(',');
}

export function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
