// What a task's implementation gives (src/tasks/<name>/index.ts): its data, its Task for the training loop, and what
// the memory check needs to know before anything is built.
import type { Dataset } from '../data/types';
import type { DataShape } from '../models/types';
import type { Task } from '../train/task';
import type { DataConfig, RunConfig } from './schema';

/** A run's size on the device apart from its model: what the model sees, the data kept there, the eval batch. */
export interface Footprint {
  data: DataShape;
  /** Values of the training and test data the task keeps on the device. */
  deviceValues: number;
  /** Examples evaluated at once. */
  evalBatch: number;
  /** Tensors an evaluation keeps on the device until its one read-back (DRAW: a sum per batch and draw of z), and the key that sets their number. */
  keptTensors?: number;
  keptKey?: string;
}

export interface TaskImplementation<D extends Dataset = Dataset> {
  /** The run's data (UserError when it cannot be read); runs of a sweep with equal data sections share it. */
  load(data: DataConfig): D;
  /** The model and the data on the device, as the training loop drives them. */
  create(config: Readonly<RunConfig>, data: D): Task;
  footprint(config: Readonly<RunConfig>, data: D): Footprint;
}
