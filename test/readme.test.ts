// The README's config reference against the schema: every key of the schema has a row, and each row's default
// is what the schema fills in (for the model kinds the row names), so that the table cannot drift from the code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { keysOf, parsePath, schemaAt, unwrap } from '../src/config/paths';
import { experimentSchema, runConfigSchema } from '../src/config/schema';
import { MODEL_KINDS, MODELS, type ModelKind } from '../src/models/catalog';
import { taskNamed } from '../src/tasks/catalog';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

interface Row {
  keys: string[];
  /** The model kind a row is for: `(rnn)` after the key, or a leading `kind`: in its meaning. */
  kind?: ModelKind;
  defaults: string;
  line: string;
}

/** The rows of the table under `### Config reference`. */
function referenceRows(): Row[] {
  const section = README.split('### Config reference')[1].split('\n### ')[0];
  const ticks = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((line) => {
      const [keyCell, , defaults, meaning] = line
        .slice(2)
        .split(/ (?<!\\)\| /)
        .map((c) => c.trim());
      const qualifier = /\((\w+)\)\s*$/.exec(keyCell)?.[1] ?? ticks(meaning.split(':')[0])[0];
      const kind = MODEL_KINDS.find((k) => k === qualifier);
      return { keys: ticks(keyCell), kind, defaults, line };
    });
}

/**
 * Valid configs of each kind, with every choice of its enum keys left out or stated (norm, cell, loss, ...): the
 * defaults that depend on other keys (a cell's norm gain, a loss's margin) show every value they take.
 */
function variants(kind: ModelKind): Record<string, unknown>[] {
  const spec = MODELS[kind];
  const source = taskNamed(spec.task).sources?.[0]; // a task reading other examples than images: its own source
  const data = {
    train: 200,
    test: 10,
    ...(spec.views.includes('flat') ? {} : { view: spec.views[0] }),
    ...(source ? { source } : {}),
  };
  let models: Record<string, unknown>[] = [{ kind }];
  for (const [key, field] of Object.entries(spec.schema.shape as z.ZodRawShape)) {
    const inner = unwrap(field as z.ZodTypeAny);
    if (key === 'kind' || !(inner instanceof z.ZodEnum)) continue;
    const choices = [undefined, ...(inner.options as string[])];
    models = models.flatMap((m) => choices.map((v) => (v === undefined ? m : { ...m, [key]: v })));
  }
  return models
    .map((model) => ({ name: 'x', data, model }))
    .filter((config) => runConfigSchema.safeParse(config).success);
}

/** dotted path -> value for every leaf (arrays are leaves). */
function leaves(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out.set(prefix, value);
  for (const [k, v] of Object.entries(value))
    for (const [p, x] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(p, x);
  return out;
}

/** Per model kind, per path: the values the schema fills in where the config leaves the key out. */
function schemaDefaults(): Map<ModelKind, Map<string, Set<string>>> {
  const out = new Map<ModelKind, Map<string, Set<string>>>();
  for (const kind of MODEL_KINDS) {
    const byPath = new Map<string, Set<string>>();
    for (const given of variants(kind)) {
      const stated = leaves(given);
      for (const [path, value] of leaves(runConfigSchema.parse(given))) {
        if (stated.has(path) || value === undefined) continue;
        if (!byPath.has(path)) byPath.set(path, new Set());
        byPath.get(path)!.add(JSON.stringify(value));
      }
    }
    out.set(kind, byPath);
  }
  return out;
}

/** Every key path of the experiment schema (nested objects expanded; the model's keys over all its kinds). */
function schemaKeys(schema: z.ZodTypeAny = experimentSchema, prefix = ''): string[] {
  return keysOf(schema).flatMap((key) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const lookup = schemaAt(schema, [key]);
    const nested = lookup.ok && keysOf(lookup.schema).length > 0 && !['sweep', 'expect', 'exclude'].includes(key);
    return nested ? schemaKeys(lookup.schema, path) : [path];
  });
}

describe('README config reference', () => {
  const rows = referenceRows();
  const defaults = schemaDefaults();

  it('has a row for every key of the schema, and no row for a key it does not have', () => {
    const documented = new Set(rows.flatMap((r) => r.keys));
    const keys = schemaKeys();
    assert.deepEqual(
      keys.filter((k) => !documented.has(k)),
      [],
      'schema keys missing from the README',
    );
    assert.deepEqual(
      [...documented].filter((k) => !keys.includes(k)),
      [],
      'README rows for keys the schema does not have',
    );
  });

  it("states each key's default as the schema fills it in", () => {
    assert.ok(rows.length > 30, `found ${rows.length} rows`);
    for (const row of rows) {
      row.keys.forEach((key, i) => {
        const kinds = row.kind ? [row.kind] : MODEL_KINDS.filter((k) => defaults.get(k)!.has(key));
        const found = new Set(kinds.flatMap((k) => [...(defaults.get(k)!.get(key) ?? [])]));
        const lookup = schemaAt(experimentSchema, parsePath(key));
        assert.ok(lookup.ok, `${key}: not in the schema`);
        if (row.defaults === 'required' || row.defaults === 'none') {
          assert.equal(found.size, 0, `${row.line}\n${key}: the schema fills in ${[...found].join(', ')}`);
          assert.equal(lookup.schema.isOptional(), row.defaults === 'none', `${row.line}\n${key}: ${row.defaults}?`);
          return;
        }
        const stated = [...row.defaults.matchAll(/`([^`]*)`/g)].map((m) => JSON.stringify(YAML.parse(m[1] || '""')));
        const expected = row.keys.length > 1 ? [stated[i]] : stated;
        assert.deepEqual([...found].sort(), [...new Set(expected)].sort(), `${row.line}\n${key}`);
      });
    }
  });
});
