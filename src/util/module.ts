// What every model, cell and norm is (as torch.nn.Module): the variables it trains, the variables it keeps without
// training them, and the freeing of both. Containers list their own variables and their children in a fixed order.
import * as tf from '@tensorflow/tfjs';

export interface Module {
  /** The variables the optimizer updates, in a fixed order (the order of their gradients' global norm). */
  parameters(): tf.Variable[];
  /**
   * Variables kept but not trained: batch norm's evaluation statistics, a bias held at zero. A function, not a
   * list: recurrent batch norm adds each time step's statistics the first time it trains that step.
   */
  buffers(): tf.Variable[];
}

/** A part of a module: one of its own variables, a child module, or nothing (an optional part left out). */
export type Part = tf.Variable | Module | undefined;

const isModule = (p: tf.Variable | Module): p is Module => typeof (p as Module).parameters === 'function';

/**
 * The module made of `parts` in order: its parameters are the variables and the children's parameters in that
 * order; its buffers are `buffers` (its own), then the children's.
 */
export function moduleOf(parts: readonly Part[], buffers: () => tf.Variable[] = () => []): Module {
  const present = parts.filter((p): p is tf.Variable | Module => p !== undefined);
  return {
    parameters: () => present.flatMap((p) => (isModule(p) ? p.parameters() : [p])),
    buffers: () => [...buffers(), ...present.filter(isModule).flatMap((m) => m.buffers())],
  };
}

/** Trained values, as a model summary counts them. */
export function parameterCount(module: Module): number {
  return module.parameters().reduce((n, v) => n + v.size, 0);
}

/** Frees every variable of the module (trained and not). */
export function disposeModule(module: Module): void {
  tf.dispose([...module.parameters(), ...module.buffers()]);
}
