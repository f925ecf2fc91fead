// The messages between an experiment's parent process and its worker processes (JSON over Node IPC).
import type { BackendName } from '../backend/select';
import type { RunSpec } from '../config/sweep';
import type { ProgressEvent } from './progress';
import type { RunOutcome } from './run-one';

export interface WorkerInit {
  experiment: string;
  outRoot: string;
  backend: BackendName;
}

export type ToWorker =
  | { type: 'init'; init: WorkerInit }
  | { type: 'run'; run: RunSpec; index: number; total: number }
  | { type: 'stop' }
  | { type: 'exit' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'event'; event: ProgressEvent }
  | { type: 'done'; outcome: RunOutcome }
  | { type: 'error'; message: string };
