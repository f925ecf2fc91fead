// The ln-repro program: registers the commands and turns user errors into one message and exit code 2.
import { Command, CommanderError } from 'commander';
import { isUserError } from '../errors';
import { benchCommand } from './bench';
import { checkCommand } from './check';
import { invarianceCommand } from './invariance';
import { reportCommand } from './report';
import { runCommand } from './run';
import { summaryCommand } from './summary';
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

export async function main(argv: string[]): Promise<void> {
  // Output piped into a reader that stops early (`ln-repro check ... | head`): stop quietly, not with a stack.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  try {
    await program().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage mistakes (unknown option, bad choice) are exit 2.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isUserError(err)) {
      process.stderr.write(`ln-repro: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`ln-repro: internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
