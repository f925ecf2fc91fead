// Progress output: bars on a terminal, one line per epoch otherwise, nothing with --quiet. Events carry their
// run id, so runs in parallel worker processes report through the same interface (events cross IPC as JSON).
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { EpochMetrics } from '../metrics/types';
import type { RunStatus } from '../results/layout';
import { taskNamed } from '../tasks/catalog';
import type { StepInfo } from '../train/loop';
import { fixed } from '../util/format';

export interface RunInfo {
  runId: string;
  /** The run's task (its name in src/tasks/catalog.ts): what its epoch lines show. */
  task: string;
  /** 1-based position in the experiment. */
  index: number;
  total: number;
  epochs: number;
  stepsPerEpoch: number;
}

export type ProgressEvent =
  | { kind: 'log'; line: string }
  | { kind: 'start'; run: RunInfo }
  | { kind: 'step'; runId: string; info: StepInfo }
  | { kind: 'epoch'; runId: string; row: EpochMetrics }
  | { kind: 'end'; runId: string; status: RunStatus; message?: string };

export interface Progress {
  event(e: ProgressEvent): void;
  stop(): void;
}

function epochLine(run: RunInfo, row: EpochMetrics): string {
  const metrics = taskNamed(run.task).epochText(row);
  const epoch = Number.isInteger(row.epoch) ? String(row.epoch) : row.epoch.toFixed(2); // train.evalEvery's rows
  return `[${run.index}/${run.total} ${run.runId}] epoch ${epoch}/${run.epochs} step ${row.step} ${metrics} (${row.seconds.toFixed(1)} s)`;
}

/** A run that ended before it reported its start (its worker died first). */
const unstarted = (runId: string): RunInfo => ({ runId, task: '', index: 0, total: 0, epochs: 0, stepsPerEpoch: 0 });

function endLine(run: RunInfo, status: RunStatus, message?: string): string {
  if (run.total === 0) return `[${run.runId}] ${status}${message ? `: ${message}` : ''}`;
  return `[${run.index}/${run.total} ${run.runId}] ${status}${message ? `: ${message}` : ''}`;
}

/** The closing table: each run's status and final metrics (`columns`: those its task tabulates). */
export function resultTable(
  columns: readonly string[],
  outcomes: readonly { runId: string; status: string; final?: EpochMetrics }[],
): string[] {
  const width = Math.max(6, ...outcomes.map((o) => o.runId.length));
  const cell = (x: number | null | undefined) => fixed(x).padStart(11);
  return [
    `${'run'.padEnd(width)}  ${'status'.padEnd(11)} ${columns.map((c) => String(c).padStart(11)).join(' ')}`,
    ...outcomes.map(
      (o) => `${o.runId.padEnd(width)}  ${o.status.padEnd(11)} ${columns.map((c) => cell(o.final?.[c])).join(' ')}`,
    ),
  ];
}

class QuietProgress implements Progress {
  event(): void {}
  stop(): void {}
}

/** For logs and CI: a line per epoch per run, on stdout. */
class LineProgress implements Progress {
  private readonly runs = new Map<string, RunInfo>();
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}
  event(e: ProgressEvent): void {
    if (e.kind === 'log') this.write(e.line);
    else if (e.kind === 'start') this.runs.set(e.run.runId, e.run);
    else if (e.kind === 'epoch') this.write(epochLine(this.runs.get(e.runId)!, e.row));
    else if (e.kind === 'end') this.write(endLine(this.runs.get(e.runId) ?? unstarted(e.runId), e.status, e.message));
  }
  stop(): void {}
}

/** On a terminal (stderr): runs done of total, and a bar per running run with its epoch, loss and ETA. */
class BarProgress implements Progress {
  private readonly bars = new MultiBar(
    {
      format: '{label} [{bar}] {value}/{total} {detail} | ETA {eta_formatted}',
      // Steps arrive in groups (losses are read back every 16 steps): an ETA over the last 10 updates would see
      // one group's updates, a millisecond apart, and say 0 s; 100 span several groups.
      etaBuffer: 100,
      hideCursor: true,
      clearOnComplete: false,
      fps: 5,
    },
    Presets.shades_classic,
  );
  private overall?: SingleBar;
  private done = 0;
  private readonly running = new Map<string, { run: RunInfo; bar: SingleBar }>();

  private log(line: string): void {
    // ESC[K clears what is left of the bar that stood on this row before the line was written over it.
    this.bars.log(`${line}\x1b[K\n`);
  }

  event(e: ProgressEvent): void {
    if (e.kind === 'log') return this.log(e.line);
    if (e.kind === 'start') {
      this.overall ??= this.bars.create(e.run.total, 0, { label: 'runs', detail: '' });
      const bar = this.bars.create(e.run.epochs * e.run.stepsPerEpoch, 0, { label: e.run.runId, detail: 'starting' });
      this.running.set(e.run.runId, { run: e.run, bar });
      return;
    }
    const entry = this.running.get(e.runId);
    if (!entry) {
      if (e.kind === 'end') {
        this.log(endLine(unstarted(e.runId), e.status, e.message));
        this.overall?.update(++this.done);
      }
      return;
    }
    if (e.kind === 'step') {
      const done = (e.info.epoch - 1) * e.info.stepsPerEpoch + e.info.step;
      entry.bar.update(done, { detail: `epoch ${e.info.epoch}/${entry.run.epochs} loss ${fixed(e.info.loss)}` });
    } else if (e.kind === 'epoch') {
      this.log(epochLine(entry.run, e.row));
    } else {
      this.log(endLine(entry.run, e.status, e.message));
      entry.bar.stop();
      this.bars.remove(entry.bar);
      this.running.delete(e.runId);
      this.overall?.update(++this.done);
    }
  }

  stop(): void {
    this.bars.update(); // a redraw writes the lines logged since the last one, which stop() alone drops
    this.bars.stop();
  }
}

export function makeProgress(opts: { quiet: boolean; tty: boolean }): Progress {
  if (opts.quiet) return new QuietProgress();
  return opts.tty ? new BarProgress() : new LineProgress();
}
