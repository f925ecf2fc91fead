// The task a run config trains (src/tasks/catalog.ts), from its implementation (src/tasks/<name>/index.ts, by name).
import type { Dataset } from '../data/types';
import { statisticsPassOf } from '../norm/registry';
import type { Task } from '../train/task';
import { implementationOf } from '../util/registry';
import { taskOf } from './catalog';
import type { RunConfig } from './schema';
import type { TaskImplementation } from './types';

const isImplementation = (x: unknown): x is TaskImplementation =>
  typeof x === 'object' &&
  x !== null &&
  ['load', 'create', 'footprint'].every((k) => typeof (x as Record<string, unknown>)[k] === 'function');

export function taskImplementation(config: Readonly<RunConfig>): TaskImplementation<Dataset> {
  return implementationOf(__dirname, 'task', taskOf(config).name, isImplementation);
}

/**
 * The Task the training loop drives for `config` on its task's `data`, with the pass after each epoch that the
 * model's norm settings call for (batch norm's population statistics) and its spec's loss bound: decided here,
 * for every task alike.
 */
export function createTask(config: Readonly<RunConfig>, data: Dataset): Task {
  const task = taskImplementation(config).create(config, data);
  return { ...task, statisticsPass: statisticsPassOf(config.model), divergence: taskOf(config).divergence };
}
