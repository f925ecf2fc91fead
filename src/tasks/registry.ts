// The task a run config describes: retrieval for model.kind retrieval, classification for every other kind.
import type { RunConfig } from '../config/schema';
import type { Dataset } from '../data/types';
import { createClassification } from './classification';
import { createRetrieval } from './retrieval';
import type { Task } from './types';

export function createTask(config: Readonly<RunConfig>, data: Dataset): Task {
  return config.model.kind === 'retrieval' ? createRetrieval(config, data) : createClassification(config, data);
}
