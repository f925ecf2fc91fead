// Every task, by name: one line each (a task is a folder src/tasks/<name>/: spec.ts, which imports no tfjs, and
// index.ts, its data loader and training objective, found by that name: src/tasks/registry.ts). A config's task is
// the one its model kind names (src/models/<kind>/spec.ts).
import { MODELS, type ModelKind } from '../models/catalog';
import { classification } from './classification/spec';
import { draw } from './draw/spec';
import { handwriting } from './handwriting/spec';
import { reader } from './reader/spec';
import { retrieval } from './retrieval/spec';
import { skipthought } from './skipthought/spec';
import { LEADING_COLUMNS, TRAILING_COLUMNS } from '../metrics/types';
import type { TaskSpec } from './spec';

export const TASKS = { classification, retrieval, draw, handwriting, reader, skipthought } as const satisfies Record<
  string,
  TaskSpec
>;
export type TaskName = keyof typeof TASKS;

export function taskNamed(name: string): TaskSpec {
  const task = (TASKS as Record<string, TaskSpec>)[name];
  if (!task) throw new Error(`no task named ${name}`);
  return task;
}

/** The task that trains a config's model kind. */
export const taskOf = (config: { model: { kind: ModelKind } }): TaskSpec => taskNamed(MODELS[config.model.kind].task);

/** Every column some task lets claims compare, in task order: what a claim's `metric` may name. */
export const CLAIM_METRICS = [...new Set(Object.values(TASKS).flatMap((t: TaskSpec) => t.claimable))] as [
  string,
  ...string[],
];

/** metrics.csv's header for a task: epoch, step, the task's own columns, seconds. */
export const metricsColumns = (task: TaskSpec): string[] => [...LEADING_COLUMNS, ...task.columns, ...TRAILING_COLUMNS];
