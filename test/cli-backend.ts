// CLI tests pin the backend: `auto` takes tfjs-node-gpu wherever it loads, and these tests expect wasm.

/** The commands that take --backend. */
const TAKE_BACKEND = ['run', 'bench'];

/** `args` with `--backend wasm` added when the command takes --backend and `args` name none. */
export function pinWasm(args: readonly string[]): string[] {
  return TAKE_BACKEND.includes(args[0]) && !args.includes('--backend') ? [...args, '--backend', 'wasm'] : [...args];
}
