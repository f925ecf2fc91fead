// `ln-repro bench`: parses options and runs the benchmark (src/bench/), which loads tfjs when the command runs.
import { Command, Option } from 'commander';
import { BACKENDS, type BackendRequest } from '../backend/names';
import { checkOutputFile, writeJson } from '../util/fs';

interface BenchOptions {
  backend: BackendRequest;
  quick: boolean;
  json?: string;
}

export function benchCommand(): Command {
  return new Command('bench')
    .description(
      'time our layer norm, batch norm and MLP training step against plain tfjs ops and tf.layers, in one process',
    )
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', ...BACKENDS]).default('auto'))
    .option('--quick', 'fewer repetitions (about a minute on 2 cores)', false)
    .option('--json <file>', 'also write the results as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  $ ln-repro bench --quick --json bench.json\n\n' +
        'composite: the same computation written plainly with tfjs ops and autodiff (our fast paths off); tf.layers: the\n' +
        'stock layers. Each ratio is that time / ours (higher: ours is faster); times are medians after warm-up. On webgpu\n' +
        'each timed call ends when the GPU has finished its work. kernels: per training step, by tf.profile.',
    )
    .action(bench);
}

async function bench(opts: BenchOptions): Promise<void> {
  if (opts.json) checkOutputFile(opts.json, '--json'); // before the minutes of timing, not after
  const [tf, { backendLine, selectBackend }, { formatRow, planFor, runBench }] = await Promise.all([
    import('@tensorflow/tfjs'),
    import('../backend/select'),
    import('../bench/run-bench'),
  ]);
  const backend = await selectBackend(opts.backend);
  const started = performance.now();
  console.log(`${backendLine(backend)} (tfjs ${tf.version.tfjs}, ${opts.quick ? 'quick' : 'full'})`);
  if (backend.adapter?.software)
    console.log('note: a software adapter: its timings say nothing of a GPU; the kernel counts hold on any backend');
  if (backend.name === 'tensorflow')
    console.log('note: on a CUDA GPU, TensorFlow may return before its kernels finish: timings may count queueing');
  const rows = await runBench(planFor(opts.quick), (r) => console.log(formatRow(r)));
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (opts.json) {
    writeJson(opts.json, {
      backend: backend.name,
      adapter: backend.adapter ?? null,
      tfjs_version: tf.version.tfjs,
      quick: opts.quick,
      date: new Date().toISOString(),
      results: rows,
    });
  }
}
