// Progress output: bars on a terminal, one line per epoch otherwise, nothing with --quiet.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { RunStatus } from './layout';
import type { EpochMetrics, StepInfo } from '../train/loop';

export interface RunInfo {
  runId: string;
  /** 1-based position in the experiment. */
  index: number;
  total: number;
  epochs: number;
  stepsPerEpoch: number;
}

export interface Progress {
  log(line: string): void;
  runStart(run: RunInfo): void;
  step(info: StepInfo): void;
  epoch(row: EpochMetrics): void;
  runEnd(status: RunStatus, message?: string): void;
  stop(): void;
}

const fmt = (x: number) => x.toFixed(4);

export function epochLine(run: RunInfo, row: EpochMetrics): string {
  return (
    `[${run.index}/${run.total} ${run.runId}] epoch ${row.epoch}/${run.epochs} step ${row.step} ` +
    `train_nll ${fmt(row.train_nll)} test_nll ${fmt(row.test_nll)} test_error ${fmt(row.test_error)} (${row.seconds.toFixed(1)} s)`
  );
}

function endLine(run: RunInfo, status: RunStatus, message?: string): string {
  return `[${run.index}/${run.total} ${run.runId}] ${status}${message ? `: ${message}` : ''}`;
}

/** The closing table: each run's status and final metrics. */
export function resultTable(outcomes: readonly { runId: string; status: RunStatus; final?: EpochMetrics }[]): string[] {
  const width = Math.max(6, ...outcomes.map((o) => o.runId.length));
  const cell = (x: number | undefined) => (x === undefined ? '-' : fmt(x)).padStart(10);
  return [
    `${'run'.padEnd(width)}  ${'status'.padEnd(11)} ${'test_error'.padStart(10)} ${'test_nll'.padStart(10)} ${'train_nll'.padStart(10)}`,
    ...outcomes.map((o) => `${o.runId.padEnd(width)}  ${o.status.padEnd(11)} ${cell(o.final?.test_error)} ${cell(o.final?.test_nll)} ${cell(o.final?.train_nll)}`),
  ];
}

export class QuietProgress implements Progress {
  log(): void {}
  runStart(): void {}
  step(): void {}
  epoch(): void {}
  runEnd(): void {}
  stop(): void {}
}

/** For logs and CI: a line per epoch per run, on stdout. */
export class LineProgress implements Progress {
  private run?: RunInfo;
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}
  log(line: string): void {
    this.write(line);
  }
  runStart(run: RunInfo): void {
    this.run = run;
  }
  step(): void {}
  epoch(row: EpochMetrics): void {
    if (this.run) this.write(epochLine(this.run, row));
  }
  runEnd(status: RunStatus, message?: string): void {
    if (this.run) this.write(endLine(this.run, status, message));
  }
  stop(): void {}
}

/** On a terminal: runs done of total, and the current run's progress with loss and ETA (on stderr). */
export class BarProgress implements Progress {
  private readonly bars = new MultiBar(
    { format: '{label} [{bar}] {value}/{total} {detail} | ETA {eta_formatted}', hideCursor: true, clearOnComplete: false, fps: 5 },
    Presets.shades_classic,
  );
  private overall?: SingleBar;
  private current?: SingleBar;
  private run?: RunInfo;

  log(line: string): void {
    // ESC[K clears what is left of the bar that stood on this row before the line was written over it.
    this.bars.log(`${line}\x1b[K\n`);
  }
  runStart(run: RunInfo): void {
    this.run = run;
    this.overall ??= this.bars.create(run.total, run.index - 1, { label: 'runs', detail: '' });
    this.current?.stop();
    if (this.current) this.bars.remove(this.current);
    this.current = this.bars.create(run.epochs * run.stepsPerEpoch, 0, { label: run.runId, detail: 'starting' });
  }
  step(info: StepInfo): void {
    const done = (info.epoch - 1) * info.stepsPerEpoch + info.step;
    this.current?.update(done, { detail: `epoch ${info.epoch}/${this.run?.epochs} loss ${fmt(info.loss)}` });
  }
  epoch(row: EpochMetrics): void {
    if (this.run) this.log(epochLine(this.run, row));
  }
  runEnd(status: RunStatus, message?: string): void {
    if (!this.run) return;
    this.log(endLine(this.run, status, message));
    this.overall?.update(this.run.index);
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
