// R's serialization format (XDR, versions 2 and 3: what saveRDS and a package's lazy-load database hold), read far
// enough for data: NULL, symbols, pairlists, character, logical, integer, double and list vectors (a data.frame is
// a list with attributes), each with its attributes; and the lazy-load database of an installed package's data
// (data/Rdata.rdx, a gzipped serialized index, and data/Rdata.rdb, one zlib-compressed serialization per object).
// Written from R's own description (R Internals, "Serialization Formats"; src/main/serialize.c): the npm registry
// has no reader of the format; its one R package, webr, is all of R compiled to WebAssembly (by default it loads
// its binaries from a CDN at run time), far more than reading 1.6 MB of strings needs.
import { readFileSync } from 'node:fs';
import { gunzipSync, inflateSync } from 'node:zlib';

/** A malformed or unsupported stream; the callers say which file it came from. */
export class RDataError extends Error {}

export type RAttributes = Readonly<Record<string, RValue>>;
/** One pairlist cell: its tag (a name, or none) and its value. */
export interface RTagged {
  readonly tag?: string;
  readonly value: RValue;
}
/** An R object; NA is `null` (NA_real_ is a NaN, as in R). */
export type RValue =
  | { readonly type: 'NULL' }
  | { readonly type: 'symbol'; readonly name: string }
  | { readonly type: 'pairlist'; readonly items: readonly RTagged[] }
  | { readonly type: 'character'; readonly values: readonly (string | null)[]; readonly attributes: RAttributes }
  | { readonly type: 'logical'; readonly values: readonly (boolean | null)[]; readonly attributes: RAttributes }
  | { readonly type: 'integer'; readonly values: readonly (number | null)[]; readonly attributes: RAttributes }
  | { readonly type: 'double'; readonly values: readonly number[]; readonly attributes: RAttributes }
  | { readonly type: 'list'; readonly values: readonly RValue[]; readonly attributes: RAttributes };

/** SEXPTYPE codes (Rinternals.h) and the stream's own pseudo-types (serialize.c). */
export const SXP = {
  SYM: 1,
  LIST: 2,
  CHAR: 9,
  LGL: 10,
  INT: 13,
  REAL: 14,
  STR: 16,
  VEC: 19,
  NILVALUE: 254,
  REF: 255,
} as const;
/** The flags word: the type in bits 0-7, then `object`, `has attributes`, `has tag`; from bit 12 the levels. */
export const FLAG = { object: 1 << 8, attributes: 1 << 9, tag: 1 << 10 } as const;
/** A CHARSXP's encoding levels. */
export const CHAR_LEVEL = { bytes: 1 << 1, latin1: 1 << 2, utf8: 1 << 3, ascii: 1 << 6 } as const;
const NA_INTEGER = -(2 ** 31);

interface Stream {
  readonly buf: Buffer;
  pos: number;
  /** Symbols in order of first appearance: a REFSXP names one by its 1-based index. */
  readonly refs: RValue[];
  /** The writer's native encoding (version 3 states it; version 2 is taken as UTF-8). */
  native: BufferEncoding;
}

function int(s: Stream): number {
  if (s.pos + 4 > s.buf.length) throw new RDataError(`stream ends at byte ${s.buf.length}, inside an integer`);
  const v = s.buf.readInt32BE(s.pos);
  s.pos += 4;
  return v;
}

function bytes(s: Stream, n: number): Buffer {
  if (s.pos + n > s.buf.length) throw new RDataError(`stream ends at byte ${s.buf.length}, ${n} bytes wanted`);
  const b = s.buf.subarray(s.pos, s.pos + n);
  s.pos += n;
  return b;
}

/** A vector's length: an int, or -1 and then the upper and lower 32 bits of a long length. */
function length(s: Stream): number {
  const n = int(s);
  if (n !== -1) return n;
  const upper = int(s);
  return upper * 2 ** 32 + (int(s) >>> 0);
}

function nativeEncoding(name: string): BufferEncoding {
  const n = name.toLowerCase().replace(/[-_]/g, '');
  if (n === 'utf8') return 'utf8';
  if (['latin1', 'iso88591', 'iso885915', 'cp1252'].includes(n)) return 'latin1';
  throw new RDataError(`written in native encoding ${name}; only UTF-8 and Latin-1 are read`);
}

/**
 * The header: `X\n`, the format version (2 or 3), the writer's and the oldest reader's R versions, and (version 3)
 * the native encoding.
 */
function header(s: Stream): void {
  const format = bytes(s, 2).toString('latin1');
  if (format !== 'X\n')
    throw new RDataError(
      `format ${JSON.stringify(format)}, expected "X\\n" (XDR; ASCII and native binary are not read)`,
    );
  const version = int(s);
  if (version !== 2 && version !== 3) throw new RDataError(`serialization version ${version}, expected 2 or 3`);
  int(s); // the writer's R version
  int(s); // the oldest R version that reads it
  if (version === 3) s.native = nativeEncoding(bytes(s, int(s)).toString('latin1'));
}

/** One CHARSXP (its flags already read): NA for length -1, else its bytes in the encoding its levels name. */
function charsxp(s: Stream, flags: number): string | null {
  if ((flags & 0xff) !== SXP.CHAR) throw new RDataError(`SEXP type ${flags & 0xff} where a CHARSXP (9) belongs`);
  const n = int(s);
  if (n === -1) return null;
  const levels = flags >>> 12;
  const latin1 = levels & (CHAR_LEVEL.latin1 | CHAR_LEVEL.bytes);
  const utf8 = levels & (CHAR_LEVEL.utf8 | CHAR_LEVEL.ascii);
  return bytes(s, n).toString(latin1 ? 'latin1' : utf8 ? 'utf8' : s.native);
}

/** Attributes (a pairlist of tagged values) as a record by tag. */
function attributesOf(value: RValue): RAttributes {
  if (value.type !== 'pairlist') throw new RDataError(`attributes are a ${value.type}, expected a pairlist`);
  return Object.fromEntries(value.items.map((c) => [c.tag ?? '', c.value]));
}

/** A pairlist from its first cell's flags: each cell's attributes (dropped), tag and value, then the next cell. */
function pairlist(s: Stream, first: number): RValue {
  const items: RTagged[] = [];
  let flags = first;
  while ((flags & 0xff) === SXP.LIST) {
    if (flags & FLAG.attributes) item(s);
    const tag = flags & FLAG.tag ? item(s) : undefined;
    if (tag && tag.type !== 'symbol') throw new RDataError(`a pairlist tag is a ${tag.type}, expected a symbol`);
    items.push({ tag: tag?.name, value: item(s) });
    flags = int(s);
  }
  if ((flags & 0xff) !== SXP.NILVALUE) throw new RDataError(`a pairlist ends in SEXP type ${flags & 0xff}, not NULL`);
  return { type: 'pairlist', items };
}

const ints = (s: Stream, n: number) =>
  Array.from({ length: n }, () => {
    const v = int(s);
    return v === NA_INTEGER ? null : v;
  });

/** A vector's elements (its flags already read). */
function vector(s: Stream, type: number): Omit<Extract<RValue, { values: unknown }>, 'attributes'> {
  const n = length(s);
  switch (type) {
    case SXP.STR:
      return { type: 'character', values: Array.from({ length: n }, () => charsxp(s, int(s))) };
    case SXP.LGL:
      return { type: 'logical', values: ints(s, n).map((v) => (v === null ? null : v !== 0)) };
    case SXP.INT:
      return { type: 'integer', values: ints(s, n) };
    case SXP.REAL:
      return { type: 'double', values: Array.from({ length: n }, () => bytes(s, 8).readDoubleBE(0)) };
    default:
      return { type: 'list', values: Array.from({ length: n }, () => item(s)) };
  }
}

const VECTORS: readonly number[] = [SXP.STR, SXP.LGL, SXP.INT, SXP.REAL, SXP.VEC];

/** One object from the stream. */
function item(s: Stream): RValue {
  const flags = int(s);
  const type = flags & 0xff;
  if (type === SXP.NILVALUE) return { type: 'NULL' };
  if (type === SXP.REF) {
    const index = flags >>> 8 || int(s);
    const ref = s.refs[index - 1];
    if (!ref) throw new RDataError(`reference ${index} to an object not yet read`);
    return ref;
  }
  if (type === SXP.SYM) {
    const symbol: RValue = { type: 'symbol', name: charsxp(s, int(s)) ?? 'NA' };
    s.refs.push(symbol);
    return symbol;
  }
  if (type === SXP.LIST) return pairlist(s, flags);
  if (!VECTORS.includes(type))
    throw new RDataError(`SEXP type ${type} at byte ${s.pos - 4} is not read (only data: vectors, lists, pairlists)`);
  const values = vector(s, type);
  return { ...values, attributes: flags & FLAG.attributes ? attributesOf(item(s)) : {} } as RValue;
}

/** The object a serialization (R's `serialize(x, NULL)`, XDR) holds; trailing bytes are an error. */
export function unserialize(buf: Buffer): RValue {
  const s: Stream = { buf, pos: 0, refs: [], native: 'utf8' };
  header(s);
  const value = item(s);
  if (s.pos !== buf.length) throw new RDataError(`${buf.length - s.pos} bytes follow the object`);
  return value;
}

const isGzip = (buf: Buffer) => buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;

/** An .rds file (saveRDS: gzipped or plain). */
export function readRds(path: string): RValue {
  const raw = readFileSync(path);
  return unserialize(isGzip(raw) ? gunzipSync(raw) : raw);
}

/** `f()`, an RDataError from it prefixed with the file it read. */
function inFile<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof RDataError) throw new RDataError(`${path}: ${err.message}`);
    throw err;
  }
}

/** The `names` attribute of a vector (none: []). */
export function namesOf(value: RValue): readonly (string | null)[] {
  const names = 'attributes' in value ? value.attributes.names : undefined;
  return names?.type === 'character' ? names.values : [];
}

/** The element called `name` of a named list. */
export function field(list: RValue, name: string): RValue {
  if (list.type !== 'list') throw new RDataError(`a ${list.type}, where a named list with "${name}" belongs`);
  const i = namesOf(list).indexOf(name);
  if (i < 0) throw new RDataError(`no element "${name}" among ${namesOf(list).join(', ') || 'no names'}`);
  return list.values[i];
}

/** The strings of a character vector, `what` naming it in the error when it is something else. */
export function characterOf(value: RValue, what: string): readonly (string | null)[] {
  if (value.type !== 'character') throw new RDataError(`${what} is a ${value.type}, expected a character vector`);
  return value.values;
}

/**
 * One object's serialization from the .rdb: `compressed` 0 stores it plain; 1 (TRUE) as its length (4 bytes) and a
 * zlib stream; 2 and 3 as its length, a byte naming the method ('Z' zlib, '2' bzip2, 'X' xz, '0' none), the data.
 */
function entry(rdb: Buffer, at: { offset: number; length: number }, compressed: number): Buffer {
  const e = rdb.subarray(at.offset, at.offset + at.length);
  if (e.length !== at.length) throw new RDataError(`an object at byte ${at.offset} runs past the end of the file`);
  if (compressed === 0) return e;
  const size = e.readInt32BE(0);
  const method = compressed === 1 ? 'Z' : String.fromCharCode(e[4]);
  const data = e.subarray(compressed === 1 ? 4 : 5);
  if (method !== 'Z' && method !== '0')
    throw new RDataError(`compressed with ${method === '2' ? 'bzip2' : method === 'X' ? 'xz' : method}, not read here`);
  const body = method === 'Z' ? inflateSync(data) : data;
  if (body.length !== size) throw new RDataError(`an object is ${body.length} bytes, its header says ${size}`);
  return body;
}

/** A package's lazy-load database (`base`.rdx and `base`.rdb): the objects' names, and each object by name. */
export interface LazyLoadDb {
  readonly names: readonly string[];
  read(name: string): RValue;
}

/** The database at `base` (e.g. `<package>/data/Rdata`); its index is read now, each object when asked for. */
export function openLazyLoadDb(base: string): LazyLoadDb {
  const rdx = `${base}.rdx`;
  const rdb = `${base}.rdb`;
  const { variables, compressed } = inFile(rdx, () => {
    const index = readRds(rdx);
    const flag = field(index, 'compressed');
    const method = flag.type === 'logical' || flag.type === 'integer' ? Number(flag.values[0]) : NaN;
    if (![0, 1, 2, 3].includes(method)) throw new RDataError('its "compressed" is not FALSE, TRUE, 2 or 3');
    return { variables: field(index, 'variables'), compressed: method };
  });
  let data: Buffer | undefined;
  const read = (name: string) => {
    const [offset, len] = inFile(rdx, () => {
      const at = field(variables, name);
      const pair = at.type === 'integer' ? at.values : [];
      if (pair.length !== 2 || pair.includes(null))
        throw new RDataError(`the index of "${name}" is not two integers (offset, length)`);
      return pair as number[];
    });
    return inFile(rdb, () => {
      data ??= readFileSync(rdb);
      return unserialize(entry(data, { offset, length: len }, compressed));
    });
  };
  return { names: namesOf(variables).filter((n): n is string => n !== null), read };
}
