// The WebGPU backend: @tensorflow/tfjs-backend-webgpu on Dawn's Node bindings (the `webgpu` npm package, a
// prebuilt dawn.node per platform). `auto` takes only a hardware adapter of Dawn's default backends (Vulkan, Metal,
// D3D12); `--backend webgpu` falls back to Dawn's OpenGL ES backend in compatibility mode, which on a machine
// without a GPU runs on Mesa's llvmpipe: slow but exact, so the tests can run every WebGPU path on a CPU.
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The adapter a run trains on, as run.json records it. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** `default`: Vulkan, Metal or D3D12; `opengles`: the compatibility fallback. */
  dawnBackend: 'default' | 'opengles';
  /** A software rasterizer (llvmpipe, lavapipe, SwiftShader), or an adapter Dawn marks as a fallback. */
  software: boolean;
}

/** What Dawn's adapter exposes of itself (GPUAdapterInfo; Dawn adds isFallbackAdapter there). */
interface DawnAdapter {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

interface DawnGpu {
  requestAdapter(options?: Record<string, unknown>): Promise<DawnAdapter | null>;
}

interface Dawn {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

/** Dawn does not flag llvmpipe as a fallback adapter: its name is the only sign (`llvmpipe-llvm-15-0-6-256-bits-`). */
const SOFTWARE_RASTERIZERS = /llvmpipe|lavapipe|swiftshader|softpipe/i;

export function describeAdapter(adapter: DawnAdapter, dawnBackend: AdapterInfo['dawnBackend']): AdapterInfo {
  const { vendor, architecture, device, description } = adapter.info;
  const flagged = Boolean(adapter.isFallbackAdapter ?? adapter.info.isFallbackAdapter);
  const software = flagged || SOFTWARE_RASTERIZERS.test(`${device} ${description}`);
  return { vendor, architecture, device, description, dawnBackend, software };
}

/** Whether a request takes this adapter: `auto` only a hardware one of Dawn's default backends. */
export function acceptsAdapter(info: AdapterInfo, request: 'auto' | 'webgpu'): boolean {
  return request === 'webgpu' || (info.dawnBackend === 'default' && !info.software);
}

/** One line for the startup log, e.g. `llvmpipe-llvm-15-0-6-256-bits- (OpenGL version OpenGL ES 3.2 ...; software)`. */
export function adapterText(info: AdapterInfo): string {
  const name = [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') || 'unnamed adapter';
  const how = info.dawnBackend === 'opengles' ? 'OpenGL ES compatibility mode' : 'Vulkan/Metal/D3D12';
  return `${name} (${info.description}; ${how}${info.software ? '; software, for tests only' : ''})`;
}

/** Dawn's OpenGL ES backend needs EGL without a display and a runtime folder. */
function prepareOpenGles(): void {
  process.env.EGL_PLATFORM ??= 'surfaceless';
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = join(tmpdir(), `ln-repro-xdg-${process.getuid?.() ?? 'user'}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
}

interface Found {
  /** The Dawn instance the adapter belongs to: it must outlive the adapter (collected, Dawn hangs or aborts). */
  instance: DawnGpu;
  adapter: DawnAdapter;
  info: AdapterInfo;
}

/**
 * False on Linux when no Vulkan loader (libvulkan.so.1) is where the dynamic linker looks: Dawn would only print
 * "Couldn't load Vulkan" on every start of a machine without a GPU.
 */
function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
    '/lib/x86_64-linux-gnu',
    '/lib64',
  ];
  return dirs.some((dir) => existsSync(join(dir, 'libvulkan.so.1')));
}

/** The adapter `request` takes: a default-backend one, else (webgpu only) the OpenGL ES fallback's. */
async function findAdapter(dawn: Dawn, request: 'auto' | 'webgpu'): Promise<Found> {
  const instance = dawn.create([]);
  const adapter = vulkanLoaderPresent() ? await instance.requestAdapter({ powerPreference: 'high-performance' }) : null;
  const info = adapter && describeAdapter(adapter, 'default');
  if (adapter && info && acceptsAdapter(info, request)) return { instance, adapter, info };
  if (request === 'auto') throw new Error(info ? `only a software adapter (${adapterText(info)})` : 'no GPU adapter');
  prepareOpenGles();
  const gles = dawn.create(['backend=opengles']);
  const fallback = await gles.requestAdapter({ featureLevel: 'compatibility' });
  if (!fallback) throw new Error('no adapter on Vulkan, Metal, D3D12 or OpenGL ES');
  return { instance: gles, adapter: fallback, info: describeAdapter(fallback, 'opengles') };
}

let current: AdapterInfo | undefined;

/** The adapter of the webgpu backend this process loaded (undefined before). */
export const currentAdapter = (): AdapterInfo | undefined => current;

/**
 * Loads Dawn, picks the adapter, and registers tfjs' webgpu backend on it (the backend asks navigator.gpu for its
 * adapter when first made current); `require` is the caller's optional-module loader.
 */
export async function registerWebgpu(request: 'auto' | 'webgpu', require: (name: string) => unknown): Promise<void> {
  const dawn = require('webgpu') as Dawn;
  Object.assign(globalThis, dawn.globals); // GPUBufferUsage and the like, which tfjs reads as globals
  const { instance, adapter, info } = await findAdapter(dawn, request);
  const gpu = { instance, requestAdapter: () => Promise.resolve(adapter) }; // navigator.gpu keeps the instance alive
  const navigator = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(globalThis, 'navigator', { value: { ...navigator, gpu }, configurable: true, writable: true });
  require('@tensorflow/tfjs-backend-webgpu'); // registers 'webgpu' where navigator.gpu exists
  current = info;
}
