// Every task, and the one a run config describes: the one whose `accepts` takes it. A new task is one module
// exporting a TaskKind, listed here.
import type { RunConfig } from '../config/schema';
import { classification } from './classification';
import { draw } from './draw';
import { retrieval } from './retrieval';
import type { TaskKind } from './types';

const TASKS: readonly TaskKind[] = [classification, retrieval, draw];

export function taskOf(config: Readonly<RunConfig>): TaskKind {
  const tasks = TASKS.filter((t) => t.accepts(config));
  if (tasks.length !== 1)
    throw new Error(`model.kind ${config.model.kind}: ${tasks.length} tasks accept it (${tasks.map((t) => t.name)})`);
  return tasks[0];
}

export function taskNamed(name: string): TaskKind {
  const task = TASKS.find((t) => t.name === name);
  if (!task) throw new Error(`no task named ${name}`);
  return task;
}
