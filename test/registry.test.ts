// Every kind of every catalog has an implementation where the registries look for it (its folder, by name), and a
// kind without one is named in the error.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CELL_KINDS } from '../src/models/cells/catalog';
import { MODEL_KINDS } from '../src/models/catalog';
import { NORM_KINDS } from '../src/norm/catalog';
import { TASKS } from '../src/tasks/catalog';
import { implementationOf } from '../src/util/registry';

const SRC = join(__dirname, '..', 'src');
const isObject = (x: unknown): x is object => typeof x === 'object' && x !== null;

/** The catalogs: [family folder, kind names]. */
const FAMILIES: [string, readonly string[]][] = [
  ['norm', NORM_KINDS],
  ['models', MODEL_KINDS],
  ['models/cells', CELL_KINDS],
  ['tasks', Object.keys(TASKS)],
];

describe('kinds and their implementations', () => {
  for (const [family, kinds] of FAMILIES) {
    it(`${family}: every kind of the catalog exports an implementation from src/${family}/<name>/`, () => {
      for (const kind of kinds) assert.ok(implementationOf(join(SRC, family), family, kind, isObject), kind);
    });
  }

  it('names the kind and where its implementation belongs when there is none', () => {
    assert.throws(
      () => implementationOf(join(SRC, 'norm'), 'norm', 'instance', isObject),
      /^Error: norm instance: no implementation \(no module .*src\/norm\/instance, nor .*src\/norm\/instance\/index\)/,
    );
    // A module that is there but requires a missing helper is reported as what it is.
    assert.throws(
      () => implementationOf(join(__dirname, '..', '..', 'test', 'fixtures', 'kinds'), 'kind', 'broken', isObject),
      /Cannot find module '\.\/missing-helper'/,
    );
    assert.throws(
      () => implementationOf(join(SRC, 'norm'), 'norm', 'layer', (x): x is object => x === 'never'),
      /norm layer: .* does not export a valid `implementation`/,
    );
  });
});
