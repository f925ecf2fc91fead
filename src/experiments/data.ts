// Each run's data from its task's loader, loaded once per distinct (task, data section): the runs of a sweep share it.
import type { Dataset } from '../data/types';
import type { RunConfig } from '../tasks/schema';
import { taskImplementation } from '../tasks/registry';
import { taskOf } from '../tasks/catalog';

export type DataLoader = (config: Readonly<RunConfig>) => Dataset;

export function dataLoader(): DataLoader {
  const cache = new Map<string, Dataset>();
  return (config) => {
    const key = JSON.stringify([taskOf(config).name, config.data]);
    if (!cache.has(key)) cache.set(key, taskImplementation(config).load(config.data));
    return cache.get(key)!;
  };
}
