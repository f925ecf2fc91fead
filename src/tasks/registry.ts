// Every task, and the one a run config describes: the first whose `accepts` takes it. A new task is one module
// exporting a TaskKind, listed here.
import type { RunConfig } from '../config/schema';
import { classification } from './classification';
import { retrieval } from './retrieval';
import type { TaskKind } from './types';

/** In order of precedence (classification takes every model kind the others do not). */
const TASKS: readonly TaskKind[] = [retrieval, classification];

export function taskOf(config: Readonly<RunConfig>): TaskKind {
  const task = TASKS.find((t) => t.accepts(config));
  if (!task) throw new Error(`no task trains model.kind ${config.model.kind}`);
  return task;
}

export function taskNamed(name: string): TaskKind {
  const task = TASKS.find((t) => t.name === name);
  if (!task) throw new Error(`no task named ${name}`);
  return task;
}
