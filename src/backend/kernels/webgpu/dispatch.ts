// One compute shader with several outputs, recorded into tfjs-webgpu's command stream. tfjs' own WebGPU programs
// write one output each (runWebGPUProgram), so a fused kernel with three outputs would cost three dispatches; this
// binds N inputs, M outputs and a uniform block of float parameters to one hand-written WGSL entry point and
// dispatches it once, the way recordAndSubmit does (same encoder, pass and submit batching), so that it interleaves
// with tfjs' kernels in order. What it does with tfjs-webgpu's private backend fields is in src/backend/internals.ts.
import * as tf from '@tensorflow/tfjs';
import { webgpuBackend, type GpuDevice, type GpuPipeline, type WebgpuBackend } from '../../internals';

/** A shader: WGSL for `main`, given the bindings this module declares from the names below. */
export interface Shader {
  /** Pipeline cache key: everything `code` depends on (shapes are baked into the code as constants). */
  key: string;
  /** Read-only storage buffers, bound in this order, as array<f32>. */
  inputs: readonly string[];
  /** Inputs that may also be int32 or bool buffers (then array<i32>): the code reads them through f32(). */
  integerInputs?: readonly string[];
  /** Read-write float32 storage buffers, one per output. */
  outputs: readonly string[];
  /** Float parameters, read in WGSL as `name()` (a uniform block: changing them compiles nothing). */
  params: readonly string[];
  /** The entry point `main` and its helpers. */
  code: string;
  /** Workgroups to dispatch, [x, y]. */
  grid: [number, number];
}

/** The most workgroups a dispatch may have along one dimension (WebGPU's default limit). */
export const MAX_GRID = 65535;

/** A grid of `count` workgroups, folded into a second dimension past MAX_GRID; WGSL reads the index with `flatGroup`. */
export function gridFor(count: number): [number, number] {
  return count <= MAX_GRID ? [Math.max(count, 1), 1] : [MAX_GRID, Math.ceil(count / MAX_GRID)];
}

/** WGSL: the flat index of this workgroup in a grid made by gridFor. */
export const FLAT_GROUP = `fn flatGroup(wg: vec3<u32>) -> u32 { return wg.x + wg.y * ${MAX_GRID}u; }`;

/** WGSL element types of tfjs-webgpu's buffers (bool is stored as i32 there). */
const WGSL_TYPES: Partial<Record<tf.DataType, string>> = { float32: 'f32', int32: 'i32', bool: 'i32' };

/** The WGSL element type of input `i`'s buffer: f32, or i32 where the shader converts that input with f32(). */
function wgslType(shader: Shader, i: number, dtype: tf.DataType): string {
  const name = shader.inputs[i];
  const type = WGSL_TYPES[dtype];
  if (type === 'f32' || (type && shader.integerInputs?.includes(name))) return type;
  throw new Error(`${shader.key}: input ${name} is a ${dtype} buffer`);
}

/**
 * WGSL: `workgroupSum(v, t)`, the sum of `v` over a workgroup of `size` threads (`t` the local index; `size` a
 * multiple of 16), returned to every thread; call it from uniform control flow only. Two levels, in a fixed order:
 * 16 threads each add a run of size/16 partials, then every thread adds those 16 sums. No barrier sits inside a
 * loop: a tree reduction with one there gave wrong sums on Mesa llvmpipe (threads past the first eight read the
 * total before it was complete).
 */
export function workgroupSum(size: number): string {
  const run = size / 16;
  return `var<workgroup> partial: array<f32, ${size}>;
var<workgroup> runs: array<f32, 16>;
fn workgroupSum(v: f32, t: u32) -> f32 {
  partial[t] = v;
  workgroupBarrier();
  if (t < 16u) {
    var s = 0.0;
    for (var i = 0u; i < ${run}u; i++) { s += partial[t * ${run}u + i]; }
    runs[t] = s;
  }
  workgroupBarrier();
  var total = 0.0;
  for (var i = 0u; i < 16u; i++) { total += runs[i]; }
  workgroupBarrier();
  return total;
}`;
}

function declarations({ inputs, outputs, params }: Shader, types: readonly string[]): string {
  const lines = [
    ...outputs.map((name, i) => `@group(0) @binding(${i}) var<storage, read_write> ${name}: array<f32>;`),
    ...inputs.map(
      (name, i) => `@group(0) @binding(${outputs.length + i}) var<storage, read> ${name}: array<${types[i]}>;`,
    ),
  ];
  if (params.length > 0) {
    const vectors = Math.ceil(params.length / 4);
    lines.push(`struct Params { v: array<vec4<f32>, ${vectors}> };`);
    lines.push(`@group(0) @binding(${outputs.length + inputs.length}) var<uniform> params: Params;`);
    params.forEach((name, i) => lines.push(`fn ${name}() -> f32 { return params.v[${i >> 2}][${i & 3}]; }`));
  }
  return lines.join('\n');
}

const pipelines = new WeakMap<GpuDevice, Map<string, GpuPipeline>>();

function pipelineFor(device: GpuDevice, shader: Shader, types: readonly string[]): GpuPipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map<string, GpuPipeline>()));
  const key = `${shader.key}(${types.join(',')})`;
  let pipeline = cache.get(key);
  if (!pipeline) {
    const module = device.createShaderModule({ code: `${declarations(shader, types)}\n${shader.code}`, label: key });
    pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
    cache.set(key, pipeline);
  }
  return pipeline;
}

/** The params as vec4 uniforms (padded with zeros). */
function uniformsOf(values: readonly number[]): { type: 'float32'; data: number[] }[] {
  const out = [];
  for (let i = 0; i < values.length; i += 4) {
    const data = values.slice(i, i + 4);
    while (data.length < 4) data.push(0);
    out.push({ type: 'float32' as const, data });
  }
  return out;
}

/**
 * Runs `shader` once on `inputs` (any of them still on the CPU is uploaded) with the values of its params,
 * and returns its outputs, new float32 tensors of `outputShapes`. Nothing is read back: the dispatch is queued.
 */
export function dispatch(
  backend: WebgpuBackend,
  shader: Shader,
  inputs: readonly tf.TensorInfo[],
  outputShapes: readonly number[][],
  paramValues: readonly number[] = [],
): tf.TensorInfo[] {
  if (inputs.length !== shader.inputs.length || outputShapes.length !== shader.outputs.length)
    throw new Error(`${shader.key}: ${inputs.length} inputs and ${outputShapes.length} outputs given`);
  if (paramValues.length !== shader.params.length) throw new Error(`${shader.key}: ${paramValues.length} params given`);
  // Dawn rejects a zero-size binding, and with it the whole command buffer: every op queued beside this one.
  const sizes = [...inputs.map((t) => t.shape), ...outputShapes].map((s) => s.reduce((a, b) => a * b, 1));
  if (sizes.includes(0)) throw new Error(`${shader.key}: an empty tensor (a batch of 0?)`);
  const outputs = outputShapes.map((shape) => backend.makeOutput(shape));
  // The buffer's own type: a float32 tensor cast from int32 may still share the int32 buffer (as tfjs does).
  const types = inputs.map((t, i) => wgslType(shader, i, backend.bufferType(t)));
  const pipeline = pipelineFor(backend.device, shader, types);
  const resources = backend.bind([...outputs, ...inputs]);
  if (paramValues.length > 0) resources.push(backend.uniforms(uniformsOf(paramValues)));
  const group = backend.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: resources.map((resource, binding) => ({ binding, resource })),
  });
  backend.record(pipeline, group, shader.grid);
  return outputs;
}

/**
 * Resolves once the GPU has finished the work queued so far: submits what tfjs-webgpu holds back for its next batch,
 * then waits on the queue. At once on the other backends, which compute synchronously.
 */
export async function deviceIdle(): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  await webgpuBackend(tf.backend()).idle();
}
