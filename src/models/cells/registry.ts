// The cell a config asks for (model.cell), built by its implementation (src/models/cells/<name>/index.ts, by name).
import { NORMS } from '../../norm/catalog';
import type { NormSpec } from '../../norm/spec';
import { implementationOf } from '../../util/registry';
import type { Cell, CellOptions } from './types';

interface CellImplementation {
  create(o: CellOptions): Cell;
}

const isImplementation = (x: unknown): x is CellImplementation =>
  typeof x === 'object' && x !== null && typeof (x as CellImplementation).create === 'function';

export function createCell(o: CellOptions): Cell {
  // The config schema refuses these; a cell built directly (tests, benchmarks) is refused here.
  const cells = (NORMS[o.config.norm] as NormSpec).cells;
  if (cells && !cells.names.includes(o.config.cell)) throw new Error(cells.reason);
  return implementationOf(__dirname, 'model.cell', o.config.cell, isImplementation).create(o);
}
