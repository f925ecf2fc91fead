// Chooses the tfjs backend: native TensorFlow (tfjs-node-gpu) where it loads, else wasm, else pure JS; WebGPU
// when asked for.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { installKernelFixes } from './fast';
import { assertPinnedVersions, PinnedVersionError } from './internals';
import { requireOptional } from './optional';
import { adapterText, currentAdapter, registerWebgpu, type AdapterInfo } from './webgpu';

import type { BackendName, BackendRequest } from './names';

export { BACKENDS, GPU_BACKENDS, type BackendName, type BackendRequest } from './names';

/**
 * What `auto` tries, in order. WebGPU is to join it between tensorflow and wasm (a hardware adapter only:
 * acceptsAdapter in webgpu.ts already has the rule) once a GPU measurement shows it faster than wasm. Its fused
 * kernels cut the layer-norm MLP step from 200 kernels to 35, but tfjs-webgpu costs about 0.17-0.26 ms per kernel
 * on an H200 (a probe of 2026-11-27), and an LSTM step still runs some 1,850: an estimated 320-480 ms against
 * wasm's 88 ms. Until measured, a GPU machine would train some models slower than on wasm without having asked.
 */
const AUTO_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** Makes one backend current for `request` (auto or a name); throws when it cannot load. Injected in tests. */
export type BackendLoader = (request: BackendRequest) => Promise<void>;

async function activate(name: BackendName): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
}

/**
 * Each loader asserts the tfjs versions its backend runs on (internals.ts) as soon as its package is loaded, before
 * anything touches the internals of that version.
 */
export const DEFAULT_LOADERS: Record<BackendName, BackendLoader> = {
  // Registers the 'tensorflow' backend (CUDA when libtensorflow-gpu and the drivers are present).
  tensorflow: async () => {
    requireOptional('@tensorflow/tfjs-node-gpu');
    assertPinnedVersions('tensorflow');
    await activate('tensorflow');
  },
  // A hardware adapter for auto; for --backend webgpu the best there is, down to OpenGL ES on llvmpipe.
  webgpu: async (request) => {
    await registerWebgpu(request === 'auto' ? 'auto' : 'webgpu', requireOptional);
    assertPinnedVersions('webgpu');
    await activate('webgpu');
  },
  wasm: async () => {
    requireOptional('@tensorflow/tfjs-backend-wasm');
    assertPinnedVersions('wasm');
    installKernelFixes(); // before the backend runs any kernel
    await activate('wasm');
  },
  cpu: async () => {
    assertPinnedVersions('cpu');
    // PROD silences tfjs' console advert for tfjs-node on the cpu backend (PROD only gates log messages).
    tf.env().set('PROD', true);
    await activate('cpu');
  },
};

const TENSORFLOW_HELP =
  'the tensorflow backend needs @tensorflow/tfjs-node-gpu 4.22 with a CUDA 11.2 + cuDNN 8.1 machine and internet at install time: ' +
  'run `npm install @tensorflow/tfjs-node-gpu@4.22.0` (see README, "CUDA"), or use --backend auto|wasm|cpu';

/**
 * What the webgpu backend needs that this machine lacks: Node.js >= 20.19 and the optional packages where they are
 * missing; where both are there, what failed is the adapter (or Mesa's EGL under the software one).
 */
function webgpuHelp(): string {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const missing = [];
  if (major < 20 || (major === 20 && minor < 19)) missing.push(`Node.js >= 20.19 (this is ${process.versions.node})`);
  const packages = ['webgpu', '@tensorflow/tfjs-backend-webgpu'].filter((p) => !resolvable(p));
  if (packages.length > 0) missing.push(`the optional package(s) ${packages.join(' and ')} (npm install)`);
  if (missing.length === 0)
    missing.push("a GPU adapter, or Mesa's OpenGL ES (libegl1, libgles2, libegl-mesa0) for the software one");
  return `the webgpu backend needs ${missing.join(' and ')}; or use --backend auto|wasm|cpu`;
}

function resolvable(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

export interface BackendChoice {
  name: BackendName;
  /** Backends tried before it, with why each did not load. */
  skipped: { name: BackendName; reason: string }[];
  /** webgpu: the adapter it runs on. */
  adapter?: AdapterInfo;
}

/** The startup line: `backend: webgpu on <adapter> (not available: ...)`. */
export function backendLine(choice: BackendChoice): string {
  const skipped = choice.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  const on = choice.adapter ? ` on ${adapterText(choice.adapter)}` : '';
  return `backend: ${choice.name}${on}${skipped ? ` (not available: ${skipped})` : ''}`;
}

/** `auto` tries AUTO_ORDER; a named backend that fails is a user error (exit 2). */
export async function selectBackend(
  request: BackendRequest,
  loaders: Record<BackendName, BackendLoader> = DEFAULT_LOADERS,
): Promise<BackendChoice> {
  const order: readonly BackendName[] = request === 'auto' ? AUTO_ORDER : [request];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of order) {
    try {
      await loaders[name](request);
      return { name, skipped, ...(name === 'webgpu' ? { adapter: currentAdapter() } : {}) };
    } catch (err) {
      // Another tfjs version is a broken install, not a missing backend: falling back would hide it.
      if (err instanceof PinnedVersionError) throw err;
      skipped.push({ name, reason: (err as Error).message.split('\n')[0] });
    }
  }
  if (request === 'tensorflow')
    throw new UserError(`--backend tensorflow: cannot load (${skipped[0].reason}); ${TENSORFLOW_HELP}`);
  if (request === 'webgpu')
    throw new UserError(`--backend webgpu: cannot load (${skipped[0].reason}); ${webgpuHelp()}`);
  throw new UserError(
    `--backend ${request}: no backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
  );
}
