// Adam's update (src/backend/kernels/adam.ts has the formula) as one WGSL dispatch per variable: one thread per
// element reads param, grad and both moments and writes the three new tensors. Nothing is updated in place, for
// the reason the JavaScript kernel gives; the step's constants are uniforms, so one pipeline serves every step.
import type * as tf from '@tensorflow/tfjs';
import type { WebgpuBackend } from '../../internals';
import { adamCoefficients, type AdamAttrs } from '../adam';
import { dispatch, FLAT_GROUP, gridFor, type Shader } from './dispatch';

const WG = 256;

function adamShader(size: number): Shader {
  const code = `const SIZE = ${size}u;
${FLAT_GROUP}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let i = flatGroup(wg) * ${WG}u + t;
  if (i >= SIZE) { return; }
  let g = grad[i];
  let m = beta1() * mIn[i] + a1() * g;
  let v = beta2() * vIn[i] + a2() * g * g;
  mOut[i] = m;
  vOut[i] = v;
  pOut[i] = param[i] - step() * m / (sqrt(v * c2()) + epsilon());
}`;
  return {
    key: `ln-repro-adam-${size}`,
    inputs: ['param', 'grad', 'mIn', 'vIn'],
    outputs: ['pOut', 'mOut', 'vOut'],
    params: ['beta1', 'a1', 'beta2', 'a2', 'step', 'c2', 'epsilon'],
    code,
    grid: gridFor(Math.ceil(size / WG)),
  };
}

/** Inputs param, grad, m, v (one shape); outputs param', m', v'. */
export function adamUpdate(backend: WebgpuBackend, inputs: tf.TensorInfo[], attrs: AdamAttrs): tf.TensorInfo[] {
  const shape = inputs[0].shape;
  const size = shape.reduce((a, b) => a * b, 1);
  const { beta1, a1, beta2, a2, step, c2, epsilon } = adamCoefficients(attrs);
  return dispatch(backend, adamShader(size), inputs, [shape, shape, shape], [beta1, a1, beta2, a2, step, c2, epsilon]);
}
