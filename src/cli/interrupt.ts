// Ctrl-C handling: the first SIGINT asks the run to stop after its current step; the second exits at once.
export interface Interrupt {
  requested: () => boolean;
  dispose: () => void;
}

export function onInterrupt(notify: () => void): Interrupt {
  let count = 0;
  const handler = () => {
    count += 1;
    if (count === 1) notify();
    else process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    requested: () => count > 0,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
