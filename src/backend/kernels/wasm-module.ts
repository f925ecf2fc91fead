// Our WebAssembly modules (src/**/*.wat, compiled by wabt at build time to .wasm beside their .js), instantiated on
// the memory of tfjs' wasm module, so that they read and write tensors where they are, with no copy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The part of the WebAssembly JS API used here (the project compiles without the DOM typings that declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** A WebAssembly.Memory: what the wasm backend's module exports as `memory`. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** The bytes of `name`.wasm, which the build compiles from `name`.wat (scripts/compile-wat.mjs); `tsc` alone does not. */
function moduleBytes(name: string): Uint8Array {
  const file = join(__dirname, `${name}.wasm`);
  try {
    return readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new Error(`${file} is missing: build with \`npm run build\` (or \`make build\`)`, { cause: err });
  }
}

/** The exports of module `name` bound to `memory`, or undefined where this WebAssembly lacks what it uses (SIMD). */
export function instantiate(name: string, memory: WasmMemory): Record<string, unknown> | undefined {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const bytes = moduleBytes(name);
  if (!wasm.validate(bytes)) return undefined;
  return new wasm.Instance(new wasm.Module(bytes), { env: { memory } }).exports;
}
