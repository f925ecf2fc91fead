// Processes of this host: its name as file names carry it, and whether a process is still running.
import { hostname } from 'node:os';

/** This host, as it may appear in a file name. */
export const HOST = hostname().replace(/[^A-Za-z0-9.-]/g, '_');

/** True when no process `pid` runs on this host (a process of another user still counts as running). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
