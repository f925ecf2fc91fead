// A writer of R's serialization format for the tests of its reader (src/data/rdata.ts): the XDR layout byte by
// byte, two small objects whose bytes R itself writes alike, and a package's lazy-load database.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { CHAR_LEVEL, FLAG, SXP } from '../src/data/rdata';

// A writer of the XDR layout (R Internals, "Serialization Formats"): big-endian 32-bit ints, each object a flags
// word (type | object | attributes | tag | levels << 12) then its body; a vector's attributes follow its elements.
export const ints = (...v: number[]) => {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeInt32BE(x, 4 * i));
  return b;
};
export const cat = (...parts: Buffer[]) => Buffer.concat(parts);
export const NA = -(2 ** 31);
/** R 4.2.2 writing format 3 (readable by R 3.5.0 on), native encoding UTF-8. */
export const HEADER = cat(Buffer.from('X\n'), ints(3, 0x040202, 0x030500, 5), Buffer.from('UTF-8'));
export const chr = (s: string | null, level: number = CHAR_LEVEL.ascii) => {
  if (s === null) return ints(SXP.CHAR, -1);
  const bytes = Buffer.from(s, 'utf8');
  return cat(ints(SXP.CHAR | (level << 12), bytes.length), bytes);
};
export const str = (values: (string | null)[], attributes?: Buffer) =>
  cat(
    ints(SXP.STR | (attributes ? FLAG.attributes : 0), values.length),
    ...values.map((v) => chr(v)),
    attributes ?? cat(),
  );
export const int = (values: number[]) => ints(SXP.INT, values.length, ...values);
/** A pairlist of tagged attributes; `names` the first time as a symbol, then (`ref`) as a reference to it. */
export const attrs = (...cells: [tag: Buffer, value: Buffer][]) =>
  cat(...cells.map(([tag, value]) => cat(ints(SXP.LIST | FLAG.tag), tag, value)), ints(SXP.NILVALUE));
export const sym = (name: string) => cat(ints(SXP.SYM), chr(name));
export const ref = (index: number) => ints(SXP.REF | (index << 8));

/**
 * `list(text = c("Emma", NA, "£20,000"), n = c(1L, NA), ok = c(TRUE, NA, FALSE), x = 0.5, inner = list(b = 2L))`;
 * R 4.2.2's `serialize(x, NULL)` writes exactly these bytes (checked once; `£` is marked UTF-8, level 8).
 */
export function listStream(): Buffer {
  const text = cat(ints(SXP.STR, 3), chr('Emma'), chr(null), chr('£20,000', CHAR_LEVEL.utf8));
  const real = Buffer.alloc(8);
  real.writeDoubleBE(0.5);
  const inner = cat(ints(SXP.VEC | FLAG.attributes, 1), int([2]), attrs([sym('names'), str(['b'])]));
  const names = str(['text', 'n', 'ok', 'x', 'inner']);
  return cat(
    HEADER,
    ints(SXP.VEC | FLAG.attributes, 5),
    text,
    int([1, NA]),
    ints(SXP.LGL, 3, 1, NA, 0),
    cat(ints(SXP.REAL, 1), real),
    inner,
    attrs([ref(1), names]),
  );
}

/**
 * `data.frame(line = c("a", "b"))`: a list with names, class and compact row names c(NA, -2L), an object (bit 8);
 * R's bytes too.
 */
export const dataFrameStream = () =>
  cat(
    HEADER,
    ints(SXP.VEC | FLAG.object | FLAG.attributes, 1),
    str(['a', 'b']),
    attrs([sym('names'), str(['line'])], [sym('class'), str(['data.frame'])], [sym('row.names'), int([NA, -2])]),
  );

/** A lazy-load database in `dir`/Rdata.{rdx,rdb} holding `objects` (serialized streams), zlib-compressed. */
export function writeLazyLoadDb(dir: string, objects: Record<string, Buffer>): void {
  const entries = Object.values(objects).map((o) => cat(ints(o.length), deflateSync(o)));
  const offsets = entries.map((_, i) => entries.slice(0, i).reduce((a, e) => a + e.length, 0));
  const variables = cat(
    ints(SXP.VEC | FLAG.attributes, entries.length),
    ...entries.map((e, i) => int([offsets[i], e.length])),
    attrs([sym('names'), str(Object.keys(objects))]),
  );
  const index = cat(
    HEADER,
    ints(SXP.VEC | FLAG.attributes, 3),
    variables,
    cat(ints(SXP.VEC | FLAG.attributes, 0), attrs([ref(1), str([])])),
    ints(SXP.LGL, 1, 1),
    attrs([ref(1), str(['variables', 'references', 'compressed'])]),
  );
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Rdata.rdx'), gzipSync(index));
  writeFileSync(join(dir, 'Rdata.rdb'), cat(...entries));
}
