// The ln-repro program: registers the commands and turns user errors into one message and exit code 2.
import { Command, CommanderError } from 'commander';
import { isUserError } from '../errors';
import { benchCommand } from './bench';
import { checkCommand } from './check';
import { invarianceCommand } from './invariance';
import { reportCommand } from './report';
import { runCommand } from './run';
import { summaryCommand } from './summary';
import { fsReason } from '../util/fs';
import { version } from '../util/version';

function program(): Command {
  return new Command('ln-repro')
    .description('Reproduce "Layer Normalization" (Ba, Kiros & Hinton, 2016): train, measure, check the claims.')
    .version(version)
    .exitOverride()
    .addCommand(runCommand().exitOverride())
    .addCommand(summaryCommand().exitOverride())
    .addCommand(checkCommand().exitOverride())
    .addCommand(reportCommand().exitOverride())
    .addCommand(invarianceCommand().exitOverride())
    .addCommand(benchCommand().exitOverride())
    .addHelpText('after', '\nExample:\n  $ ln-repro run configs/mnist-bs4.yaml');
}

/** One line for a user error (exit 2), the stack for anything else (exit 1): the only two ways a command fails. */
function reportFailure(err: unknown): void {
  if (isUserError(err)) {
    process.stderr.write(`ln-repro: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`ln-repro: internal error: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
}

/**
 * Failures that escape the awaited action, which were Node's default trace (through commander's frames) with exit 1:
 * a write to stdout or stderr that fails arrives as an 'error' event, outside the action's try. Output piped into a
 * reader that stopped early (EPIPE, `ln-repro check ... | head`) ends quietly with the command's code; any other
 * failure (a full disk under `> file`, a terminal gone) is a file-system fault as `cannot write` is: one line on
 * stderr (when stderr still works), exit 2. A rejection no one awaited is reported as the action's failures are.
 */
function catchStrays(): void {
  const streams = { stdout: process.stdout, stderr: process.stderr };
  for (const [name, stream] of Object.entries(streams)) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      if (name === 'stdout') process.stderr.write(`ln-repro: cannot write standard output: ${fsReason(err)}\n`);
      process.exit(2);
    });
  }
  process.on('unhandledRejection', (err) => {
    reportFailure(err);
    process.exit();
  });
}

export async function main(argv: string[]): Promise<void> {
  catchStrays();
  try {
    await program().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage mistakes (unknown option, bad choice) are exit 2.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    reportFailure(err);
  }
}
