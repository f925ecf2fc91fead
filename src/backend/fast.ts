// Turns the fast paths on and off: fused norm and Adam kernels (cpu, wasm, webgpu; softmax cross-entropy on webgpu)
// and the wasm speed-ups (products routed to XNNPACK, a sharing Identity, SIMD Adam). Off, every op takes its
// composite tfjs path on the stock kernels: the straightforward reference the tests compare against. The kernel
// fixes are not fast paths: once installed they stay, on or off, so that no stock kernel computes a wrong result.
import { wasmHeap, wasmLoaded } from './internals';
import { adamKernel, useSimdAdam } from './kernels/adam';
import { CELL_KERNELS } from './kernels/cells';
import { filterbankGradKernel, filterbankKernel } from './kernels/filterbank';
import { useSimdCells } from './kernels/simd-cells';
import { convFilterGradKernel } from './kernels/conv-filter-grad';
import { groupNormalizeGradKernel, groupNormalizeKernel } from './kernels/group-normalize';
import { registerJsKernel, unregisterJsKernel } from './kernels/js-kernel';
import { normalizeGradKernel, normalizeKernel } from './kernels/normalize';
import { installWasmFixes } from './kernels/wasm-fixes';
import { installWasmSpeedups, uninstallWasmSpeedups } from './kernels/wasm-speedups';
import { registerWebgpuKernels, unregisterWebgpuKernels } from './kernels/webgpu/register';

const JS_KERNELS = [normalizeKernel, normalizeGradKernel, groupNormalizeKernel, groupNormalizeGradKernel, adamKernel];

/**
 * The fused recurrent cells (kernels/cells.ts) and DRAW's fused filterbank (kernels/filterbank.ts), on with the other
 * fast paths unless LN_REPRO_FUSED_CELLS is 0 (then both run op by op, as before them: for comparison and debugging)
 * or setFusedCells(false) was called.
 */
let fusedCells = process.env.LN_REPRO_FUSED_CELLS !== '0';
let fastPaths = false;

/** The fused recurrent cells' kernels and DRAW's filterbank's, switched together. */
const MODEL_KERNELS = [...CELL_KERNELS, filterbankKernel, filterbankGradKernel];

function registerCellKernels(on: boolean): void {
  for (const k of MODEL_KERNELS)
    if (on) registerJsKernel(k as Parameters<typeof registerJsKernel>[0]);
    else unregisterJsKernel(k.name);
}

/** Turns the fused recurrent cells on or off (while the fast paths are on; off with them in any case). */
export function setFusedCells(on: boolean): void {
  fusedCells = on;
  registerCellKernels(fastPaths && fusedCells);
}

/**
 * What the wasm backend needs to train at all and to compute right: the kernel it lacks (Conv2DBackpropFilter,
 * without which no convnet trains) and the fix of its wrong _FusedMatMul (kernels/wasm-fixes.ts). Installed when the
 * wasm backend is chosen (select.ts), before any kernel runs, and again by enableFastPaths and disableFastPaths for
 * callers that make wasm current themselves (tests); never removed.
 */
export function installKernelFixes(): void {
  registerJsKernel(convFilterGradKernel as Parameters<typeof registerJsKernel>[0], ['wasm']);
  if (wasmLoaded()) installWasmFixes();
}

export function enableFastPaths(): void {
  installKernelFixes();
  for (const k of JS_KERNELS) registerJsKernel(k as Parameters<typeof registerJsKernel>[0]);
  fastPaths = true;
  registerCellKernels(fusedCells);
  registerWebgpuKernels();
  installWasmSpeedups();
  useSimdAdam(wasmHeap());
  useSimdCells(wasmHeap());
}

export function disableFastPaths(): void {
  for (const k of JS_KERNELS) unregisterJsKernel(k.name);
  fastPaths = false;
  registerCellKernels(false);
  unregisterWebgpuKernels();
  uninstallWasmSpeedups();
  useSimdAdam(undefined);
  useSimdCells(undefined);
  installKernelFixes();
}
