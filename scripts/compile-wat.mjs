// Build step after tsc: compiles each WebAssembly text file src/**/*.wat with wabt to dist/src/**/*.wasm.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import wabt from 'wabt';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * No name section (the module is looked up by its export, and test/simd-adam.test.ts compares the bytes) and
 * shortest LEB128 sizes (wabt otherwise pads section and body sizes to five bytes).
 */
const BINARY = { canonicalize_lebs: true, relocatable: false, write_debug_names: false, log: false };

const tools = await wabt();
const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.wat'));
for (const source of sources) {
  const file = join('src', source);
  try {
    const module = tools.parseWat(file, readFileSync(join(ROOT, file), 'utf8'), { simd: true });
    try {
      module.resolveNames();
      module.validate(); // a mistake fails the build, not WebAssembly.validate at run time
      const out = join(ROOT, 'dist', file.replace(/\.wat$/, '.wasm'));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, module.toBinary(BINARY).buffer);
    } finally {
      module.destroy();
    }
  } catch (err) {
    // wabt's message already quotes the file, line and column.
    process.stderr.write(`compile-wat: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
