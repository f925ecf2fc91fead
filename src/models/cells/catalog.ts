// Every recurrent cell, by model.cell: one line each (a cell is a folder src/models/cells/<name>/: spec.ts, no tfjs,
// and index.ts, its step, found by that name: src/models/cells/registry.ts).
import { gru } from './gru/spec';
import { lstm } from './lstm/spec';
import type { CellSpec } from './spec';

export const CELLS = { lstm, gru } as const satisfies Record<string, CellSpec>;
export type CellKind = keyof typeof CELLS;
export const CELL_KINDS = Object.keys(CELLS) as [CellKind, ...CellKind[]];
