// Result files, each written atomically (temporary file in the same folder, then rename).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import YAML from 'yaml';

export function writeAtomic(path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeJson(path: string, value: unknown): void {
  writeAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function writeYaml(path: string, value: unknown): void {
  writeAtomic(path, YAML.stringify(value));
}

/** Numbers are written with full float64 precision; null and undefined as empty cells. */
export function writeCsv(path: string, columns: readonly string[], rows: readonly Record<string, unknown>[]): void {
  writeAtomic(path, stringify(rows as Record<string, unknown>[], { header: true, columns: columns as string[] }));
}
