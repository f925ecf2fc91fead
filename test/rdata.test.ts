// R's serialization format (src/data/rdata.ts) on streams built byte by byte (test/rdata-writer.ts): plain, and as a
// package's lazy-load database (a gzipped index, zlib-compressed objects); its refusals of what it does not read.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLazyLoadDb, RDataError, unserialize } from '../src/data/rdata';
import { cat, dataFrameStream, HEADER, ints, listStream, ref, writeLazyLoadDb } from './rdata-writer';

describe("rdata: R's serialization format", () => {
  it('reads character (NA, UTF-8), integer, logical, double and list vectors, names, a symbol by reference', () => {
    const names = (...n: string[]) => ({ names: { type: 'character', values: n, attributes: {} } });
    assert.deepEqual(unserialize(listStream()), {
      type: 'list',
      values: [
        { type: 'character', values: ['Emma', null, '£20,000'], attributes: {} },
        { type: 'integer', values: [1, null], attributes: {} },
        { type: 'logical', values: [true, null, false], attributes: {} },
        { type: 'double', values: [0.5], attributes: {} },
        { type: 'list', values: [{ type: 'integer', values: [2], attributes: {} }], attributes: names('b') },
      ],
      attributes: names('text', 'n', 'ok', 'x', 'inner'),
    });
  });
  it('reads a data.frame: its columns and its names, class and row.names attributes', () => {
    const df = unserialize(dataFrameStream());
    assert.equal(df.type, 'list');
    assert.deepEqual(df.type === 'list' && df.values[0], { type: 'character', values: ['a', 'b'], attributes: {} });
    assert.deepEqual(df.type === 'list' && Object.keys(df.attributes), ['names', 'class', 'row.names']);
    assert.deepEqual(df.type === 'list' && df.attributes['row.names'], {
      type: 'integer',
      values: [null, -2],
      attributes: {},
    });
  });
  it('refuses a truncated stream, trailing bytes, another format and what is not data', () => {
    const good = listStream();
    assert.throws(() => unserialize(good.subarray(0, good.length - 3)), /stream ends at byte/);
    assert.throws(() => unserialize(cat(good, ints(0))), /4 bytes follow the object/);
    assert.throws(() => unserialize(cat(Buffer.from('A\n'), good.subarray(2))), /format "A\\n", expected "X\\n"/);
    assert.throws(() => unserialize(cat(HEADER, ints(3))), /SEXP type 3 at byte 23 is not read/); // a closure
    assert.throws(() => unserialize(cat(HEADER, ref(1))), RDataError);
  });
  it("reads a package's lazy-load database: gzipped index, zlib-compressed objects", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ln-rdata-'));
    writeLazyLoadDb(dir, { df: dataFrameStream(), lst: listStream() });
    const db = openLazyLoadDb(join(dir, 'Rdata'));
    assert.deepEqual(db.names, ['df', 'lst']);
    assert.deepEqual(db.read('lst'), unserialize(listStream()));
    assert.deepEqual(db.read('df'), unserialize(dataFrameStream()));
    assert.throws(() => db.read('emma'), /Rdata\.rdx: no element "emma" among df, lst/);
    rmSync(dir, { recursive: true, force: true });
  });
});
