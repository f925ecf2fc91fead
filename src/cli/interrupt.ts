// Ctrl-C handling: the first SIGINT asks the run to stop after its current step; the second exits at once.
export interface Interrupt {
  requested: () => boolean;
  /** Resolves at the first interrupt. */
  signalled: Promise<void>;
  dispose: () => void;
}

export function onInterrupt(notify: () => void): Interrupt {
  let count = 0;
  let resolve: () => void = () => {};
  const signalled = new Promise<void>((r) => (resolve = r));
  const handler = () => {
    count += 1;
    if (count > 1) process.exit(130);
    notify();
    resolve();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    requested: () => count > 0,
    signalled,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
