// The benchmark's cases produce well-formed rows (no timing is asserted: times vary from machine to machine).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths } from '../src/backend/fast';
import { cellStepCase, mlpStepCase, normCase } from '../src/bench/cases';
import { formatRow } from '../src/bench/run-bench';
import { useBackend } from './helpers';

const ONCE = { warmup: 1, warmupMs: 0, reps: 1, minReps: 1, budgetMs: 0 };

describe('bench cases [wasm]', () => {
  before(() => useBackend('wasm'));
  after(() => disableFastPaths());

  it('ln and bn rows compare ours with stock and leak nothing', () => {
    const tensors = tf.memory().numTensors;
    for (const kind of ['ln', 'bn'] as const) {
      const row = normCase(kind, [4, 32], ONCE);
      assert.equal(row.case, kind);
      assert.deepEqual(row.shape, [4, 32]);
      assert.ok(row.ours_ms > 0 && row.stock_ms > 0);
      assert.equal(row.ratio, row.stock_ms / row.ours_ms);
    }
    assert.equal(tf.memory().numTensors, tensors);
  });

  it('a cell_step row compares the normalized LSTM step with the plain one', () => {
    const row = cellStepCase('layer', 4, ONCE);
    assert.equal(row.case, 'cell_step');
    assert.ok((row.plain_ms ?? 0) > 0 && row.ours_ms > 0);
    assert.equal(row.overhead, row.ours_ms / row.plain_ms!);
    assert.match(formatRow(row), /^cell_step batch 4, LN-LSTM +ours +\d+\.\d\d ms +plain LSTM +\d+\.\d\d ms +cost \d+\.\d\dx$/);
  });

  it('an mlp_step row has a floor and a readable line', () => {
    const row = mlpStepCase('layer', 4, ONCE);
    assert.equal(row.case, 'mlp_step');
    assert.equal(row.batch, 4);
    assert.ok((row.floor_ms ?? 0) > 0);
    assert.match(formatRow(row), /^mlp_step +batch 4, norm layer +ours +\d+\.\d\d ms +stock +\d+\.\d\d ms +ratio +\d+\.\d +floor/);
  });
});
