// The NLL of one target per row of logits [n, V] and its gradient as two JavaScript loops (cpu and wasm), for the
// skip-thought decoders' softmax over the vocabulary (src/models/skipthought: tokenNll). The composite path takes a
// log-softmax (max, subtract, exp, sum, log, subtract), and backward an exp, a one-hot, a subtraction and a product:
// ten passes over [n, V], two of them exp. Here: forward, per row its max and the sum of exp(x - max) (one exp a
// value), giving log Z and the NLL; backward, dy (exp(x - log Z) - onehot) in one pass (one exp a value). The
// exponentials are fastExp's (fast-math.ts).
import type { JsKernel } from './js-kernel';
import { fastExp } from './fast-math';

export const TOKEN_NLL = 'LnReproTokenNll';
export const TOKEN_NLL_GRAD = 'LnReproTokenNllGrad';

/** Inputs logits [n, V], targets [n] (word ids as float32); outputs nll [n] and log Z [n] (saved for backward). */
export const tokenNllKernel: JsKernel<Record<string, never>> = {
  name: TOKEN_NLL,
  inputs: ['logits', 'targets'],
  outputShapes: ([logits]) => [[logits[0]], [logits[0]]],
  compute([x, targets], [nll, logZ], [[n, V]]) {
    for (let i = 0; i < n; i++) {
      const row = i * V;
      let top = -Infinity;
      for (let j = 0; j < V; j++) if (x[row + j] > top) top = x[row + j];
      let sum = 0;
      for (let j = 0; j < V; j++) sum += fastExp(x[row + j] - top);
      const z = top + Math.log(sum);
      logZ[i] = z;
      nll[i] = z - x[row + targets[i]];
    }
  },
};

/** Inputs dy [n], logits [n, V], log Z [n], targets [n]; output dlogits [n, V] = dy (softmax - onehot). */
export const tokenNllGradKernel: JsKernel<Record<string, never>> = {
  name: TOKEN_NLL_GRAD,
  inputs: ['dy', 'logits', 'logZ', 'targets'],
  outputShapes: ([, logits]) => [logits],
  compute([dy, x, logZ, targets], [dx], [, [n, V]]) {
    for (let i = 0; i < n; i++) {
      const row = i * V;
      const [g, z] = [dy[i], logZ[i]];
      for (let j = 0; j < V; j++) dx[row + j] = g * fastExp(x[row + j] - z);
      dx[row + targets[i]] -= g;
    }
  },
};
