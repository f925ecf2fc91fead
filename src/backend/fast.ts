// Turns the fast paths on and off: fused norm and Adam kernels (cpu, wasm) and the wasm kernel fixes.
// Off, every op takes its composite tfjs path: the straightforward reference the tests compare against.
import { adamKernel } from './kernels/adam';
import { registerJsKernel, unregisterJsKernel } from './kernels/js-kernel';
import { normalizeGradKernel, normalizeKernel } from './kernels/normalize';
import { installWasmFixes, uninstallWasmFixes } from './kernels/wasm-fixes';

const JS_KERNELS = [normalizeKernel, normalizeGradKernel, adamKernel];

export function enableFastPaths(): void {
  for (const k of JS_KERNELS) registerJsKernel(k as Parameters<typeof registerJsKernel>[0]);
  installWasmFixes();
}

export function disableFastPaths(): void {
  for (const k of JS_KERNELS) unregisterJsKernel(k.name);
  uninstallWasmFixes();
}
