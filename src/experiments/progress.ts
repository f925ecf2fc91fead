// Progress output: bars on a terminal, one line per epoch otherwise, nothing with --quiet. Events carry their
// run id, so runs in parallel worker processes report through the same interface (events cross IPC as JSON).
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

const fmt = (x: number | null | undefined) => (x === undefined || x === null ? '-' : x.toFixed(4));
const pct = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(1));

/** A retrieval row's recall@1/5/10 (percent) and mean rank in one direction, e.g. `caption R@1/5/10 12.3/40.1/60.2 rank 9.8`. */
function recallText(row: EpochMetrics, dir: 'caption' | 'image'): string {
  return `${dir} R@1/5/10 ${pct(row[`${dir}_r1`])}/${pct(row[`${dir}_r5`])}/${pct(row[`${dir}_r10`])} rank ${pct(row[`${dir}_mean_rank`])}`;
}

const isRetrieval = (row: EpochMetrics | undefined) => row?.caption_r1 !== undefined;

export function epochLine(run: RunInfo, row: EpochMetrics): string {
  const test = isRetrieval(row)
    ? `train_loss ${fmt(row.train_nll)} ${recallText(row, 'caption')} ${recallText(row, 'image')}`
    : `train_nll ${fmt(row.train_nll)} test_nll ${fmt(row.test_nll)} test_error ${fmt(row.test_error)}`;
  return `[${run.index}/${run.total} ${run.runId}] epoch ${row.epoch}/${run.epochs} step ${row.step} ${test} (${row.seconds.toFixed(1)} s)`;
}

/** A run that ended before it reported its start (its worker died first). */
const unstarted = (runId: string): RunInfo => ({ runId, index: 0, total: 0, epochs: 0, stepsPerEpoch: 0 });

function endLine(run: RunInfo, status: RunStatus, message?: string): string {
  if (run.total === 0) return `[${run.runId}] ${status}${message ? `: ${message}` : ''}`;
  return `[${run.index}/${run.total} ${run.runId}] ${status}${message ? `: ${message}` : ''}`;
}

/** The closing table: each run's status and final metrics. */
export function resultTable(outcomes: readonly { runId: string; status: string; final?: EpochMetrics }[]): string[] {
  const width = Math.max(6, ...outcomes.map((o) => o.runId.length));
  const columns: (keyof EpochMetrics)[] = outcomes.some((o) => isRetrieval(o.final))
    ? ['caption_r1', 'caption_r10', 'image_r1', 'image_r10', 'train_nll']
    : ['test_error', 'test_nll', 'train_nll'];
  const cell = (x: number | null | undefined) => fmt(x).padStart(11);
  return [
    `${'run'.padEnd(width)}  ${'status'.padEnd(11)} ${columns.map((c) => String(c).padStart(11)).join(' ')}`,
    ...outcomes.map(
      (o) => `${o.runId.padEnd(width)}  ${o.status.padEnd(11)} ${columns.map((c) => cell(o.final?.[c])).join(' ')}`,
    ),
  ];
}

export class QuietProgress implements Progress {
  event(): void {}
  stop(): void {}
}

/** For logs and CI: a line per epoch per run, on stdout. */
export class LineProgress implements Progress {
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
export class BarProgress implements Progress {
  private readonly bars = new MultiBar(
    {
      format: '{label} [{bar}] {value}/{total} {detail} | ETA {eta_formatted}',
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
      entry.bar.update(done, { detail: `epoch ${e.info.epoch}/${entry.run.epochs} loss ${fmt(e.info.loss)}` });
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
