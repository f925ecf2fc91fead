// Dotted config paths (`model.hidden`, `sweep.train.seed`): reading, writing, and finding them in the schema.
import { z } from 'zod';
import { closest, distance } from 'fastest-levenshtein';
import { isRecord } from '../util/values';

export type Path = (string | number)[];

/** `model.hidden` -> ['model', 'hidden']; `a.b[2]` -> ['a', 'b', 2]. */
export function parsePath(dotted: string): Path {
  const parts: Path = [];
  for (const segment of dotted.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(segment);
    if (!m || (m[1] === '' && m[2] === '')) throw new Error(`malformed path "${dotted}"`);
    if (m[1] !== '') parts.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(idx[1]));
  }
  return parts;
}

/** ['model', 'hidden', 0] -> `model.hidden[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** Equal config values (numbers, text, lists, maps), as a sweep point or a claim selector compares them. */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether `config` has every value a selector names (a claim's group: dotted path -> value). */
export function matches(config: unknown, selector: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(selector).every(([path, value]) => sameValue(getAt(config, parsePath(path)), value));
}

export function getAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (Array.isArray(cur) && typeof p === 'number') cur = cur[p];
    else if (isRecord(cur)) cur = cur[String(p)];
    else return undefined;
  }
  return cur;
}

/** Returns a copy of `obj` with `value` at `path`, creating objects on the way. */
export function setAt(obj: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (typeof head === 'number') {
    const arr: unknown[] = Array.isArray(obj) ? [...(obj as unknown[])] : [];
    arr[head] = setAt(arr[head], rest, value);
    return arr;
  }
  const rec = isRecord(obj) ? { ...obj } : {};
  rec[head] = setAt(rec[head], rest, value);
  return rec;
}

/** Strips the wrappers that do not change what a value must look like. */
export function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault) s = (s as z.ZodDefault<z.ZodTypeAny>).removeDefault();
    else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = (s as z.ZodOptional<z.ZodTypeAny>).unwrap();
    else if (s instanceof z.ZodEffects) s = (s as z.ZodEffects<z.ZodTypeAny>).innerType();
    else return s;
  }
}

/** The keys an object-like schema accepts (a discriminated union accepts the keys of all its options). */
export function keysOf(schema: z.ZodTypeAny): string[] {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) return Object.keys((s as z.ZodObject<z.ZodRawShape>).shape);
  if (s instanceof z.ZodDiscriminatedUnion) {
    const keys = new Set<string>();
    for (const option of s.options as z.ZodObject<z.ZodRawShape>[])
      Object.keys(option.shape).forEach((k) => keys.add(k));
    return [...keys];
  }
  return [];
}

function child(schema: z.ZodTypeAny, key: string | number): z.ZodTypeAny | undefined {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject)
    return typeof key === 'string' ? (s as z.ZodObject<z.ZodRawShape>).shape[key] : undefined;
  if (s instanceof z.ZodDiscriminatedUnion) {
    for (const option of s.options as z.ZodObject<z.ZodRawShape>[]) {
      if (typeof key === 'string' && key in option.shape) return option.shape[key];
    }
    return undefined;
  }
  if (s instanceof z.ZodRecord)
    return typeof key === 'string' ? (s as z.ZodRecord<z.ZodString>).valueSchema : undefined;
  if (s instanceof z.ZodArray) return typeof key === 'number' ? (s as z.ZodArray<z.ZodTypeAny>).element : undefined;
  return undefined;
}

export type SchemaLookup =
  { ok: true; schema: z.ZodTypeAny } | { ok: false; at: Path; key: string | number; suggestion?: string };

/** Finds the schema at `path`, or says which segment is unknown and the nearest valid key. */
export function schemaAt(schema: z.ZodTypeAny, path: Path): SchemaLookup {
  let cur = schema;
  for (let i = 0; i < path.length; i++) {
    const next = child(cur, path[i]);
    if (!next)
      return { ok: false, at: path.slice(0, i), key: path[i], suggestion: suggestKey(String(path[i]), keysOf(cur)) };
    cur = next;
  }
  return { ok: true, schema: cur };
}

/** The candidate nearest to `key`, when it is near enough to be a plausible typo. */
export function suggestKey(key: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(
    key.toLowerCase(),
    candidates.map((c) => c.toLowerCase()),
  );
  const original = candidates.find((c) => c.toLowerCase() === best)!;
  return distance(key.toLowerCase(), best) <= Math.max(2, Math.floor(key.length / 3)) ? original : undefined;
}
