// Runs bin/ln-repro as a user would, for the CLI tests. The backend is pinned: `auto` takes tfjs-node-gpu wherever
// it loads, and these tests expect wasm.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'ln-repro');

/** The commands that take --backend. */
const TAKE_BACKEND = ['run', 'bench'];

/** `args` with `--backend wasm` added when the command takes --backend and `args` name none. */
export function pinWasm(args: readonly string[]): string[] {
  return TAKE_BACKEND.includes(args[0]) && !args.includes('--backend') ? [...args, '--backend', 'wasm'] : [...args];
}

/** `ln-repro <args>` from the repository root (extra environment in `env`): exit code, stdout, stderr. */
export function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...pinWasm(args)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
