// Turns the fast paths on and off: fused norm and Adam kernels (cpu, wasm, webgpu; softmax cross-entropy on webgpu)
// and the wasm kernel fixes.
// Off, every op takes its composite tfjs path: the straightforward reference the tests compare against.
import { wasmHeap } from './internals';
import { adamKernel, useSimdAdam } from './kernels/adam';
import { convFilterGradKernel } from './kernels/conv-filter-grad';
import { registerJsKernel, unregisterJsKernel } from './kernels/js-kernel';
import { normalizeGradKernel, normalizeKernel } from './kernels/normalize';
import { installWasmFixes, uninstallWasmFixes } from './kernels/wasm-fixes';
import { registerWebgpuKernels, unregisterWebgpuKernels } from './kernels/webgpu/register';

const JS_KERNELS = [normalizeKernel, normalizeGradKernel, adamKernel];

/**
 * Kernels the wasm backend lacks altogether. Registered whenever a backend is chosen and never removed:
 * without them some models cannot train on wasm at all.
 */
export function registerMissingKernels(): void {
  registerJsKernel(convFilterGradKernel as Parameters<typeof registerJsKernel>[0], ['wasm']);
}

export function enableFastPaths(): void {
  registerMissingKernels();
  for (const k of JS_KERNELS) registerJsKernel(k as Parameters<typeof registerJsKernel>[0]);
  registerWebgpuKernels();
  installWasmFixes();
  useSimdAdam(wasmHeap());
}

export function disableFastPaths(): void {
  for (const k of JS_KERNELS) unregisterJsKernel(k.name);
  unregisterWebgpuKernels();
  uninstallWasmFixes();
  useSimdAdam(undefined);
}
