// Runs bin/ln-repro as a user would, for the CLI tests, with the helpers they share (a tiny run, temporary folders,
// no stack traces). The backend is pinned: `auto` takes tfjs-node-gpu wherever it loads, and these tests expect wasm.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** --set flags that make an MLP config (configs/mnist-bs4.yaml) a run of a few seconds: one epoch of 64 digits. */
export const TINY = [
  '--set',
  'train.epochs=1',
  '--set',
  'data.train=64',
  '--set',
  'data.test=32',
  '--set',
  'model.hidden=[16]',
  '--set',
  'train.batchSize=16',
];

/** A new temporary folder `ln-repro-<name>-XXXXXX`. */
export const tmp = (name: string) => mkdtempSync(join(tmpdir(), `ln-repro-${name}-`));

/** A user error is one message: no stack trace, no internal error. */
export const noStack = (text: string) =>
  assert.doesNotMatch(text, /\n\s+at |internal error/, `no stack trace: ${text}`);

/** Every file under `dir`, relative. */
export function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' });
}
