// A worker process: runs the runs its parent sends, one at a time, and reports progress and outcomes.
// Started by pool.ts with child_process.fork; a crash here fails only the run in flight.
import { enableFastPaths } from '../backend/fast';
import { selectBackend } from '../backend/select';
import type { FromWorker, ToWorker, WorkerInit } from './messages';
import { runOne } from './run-one';
import { dataLoader } from './data';

const send = (m: FromWorker): void => void process.send!(m);
const dataFor = dataLoader();
let init: WorkerInit | undefined;
let stopRequested = false;

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'init') {
    init = m.init;
    await selectBackend(init.backend);
    enableFastPaths();
    send({ type: 'ready' });
  } else if (m.type === 'run') {
    // Fault injection for the tests of crash handling: this worker dies as it starts the named run.
    if (process.env.LN_REPRO_TEST_CRASH_RUN === m.run.runId) process.exit(70);
    const outcome = await runOne({
      experiment: init!.experiment,
      outRoot: init!.outRoot,
      backend: init!.backend,
      run: m.run,
      index: m.index,
      total: m.total,
      data: dataFor(m.run.config),
      emit: (event) => send({ type: 'event', event }),
      shouldStop: () => {
        leaveIfOrphaned();
        return stopRequested;
      },
    });
    send({ type: 'done', outcome });
  } else if (m.type === 'exit') {
    leaving = true;
    process.disconnect();
  }
}

// A worker whose parent is gone (killed with -9, or quit by a second Ctrl-C) must not go on writing a run folder
// whose lock names a process that has ended: it leaves at once, without writing, when the IPC channel closes, and
// (as that event waits for the event loop) when a training step or evaluation batch finds it orphaned.
let leaving = false;
const parent = process.ppid;
function leaveIfOrphaned(): void {
  if (!leaving && process.ppid !== parent) process.exit(1);
}
process.on('disconnect', () => {
  if (!leaving) process.exit(1);
});
setInterval(leaveIfOrphaned, 1000).unref();

// Ctrl-C reaches the whole process group: stop after the current step, as the parent does; a second one quits.
let interrupts = 0;
process.on('SIGINT', () => (++interrupts > 1 ? process.exit(130) : (stopRequested = true)));
process.on('SIGTERM', () => (stopRequested = true));

// Messages are handled one at a time, in order; `stop` must not wait behind a run, so it is applied at once.
let queue = Promise.resolve();
process.on('message', (m: ToWorker) => {
  if (m.type === 'stop') {
    stopRequested = true;
    return;
  }
  queue = queue
    .then(() => handle(m))
    .catch((err: Error) => {
      // The parent records the run in flight as failed when this process ends; runOne itself catches training errors.
      send({ type: 'error', message: err.stack ?? String(err) });
      process.exit(1);
    });
});
