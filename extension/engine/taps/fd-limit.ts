// Running out of file descriptors. When accept() fails with EMFILE, libuv accepts the waiting
// connection on a spare descriptor and closes it at once, and Node reports nothing: the client is
// reset and ipctap would not know. So a tap looks at how many descriptors are in use while it
// holds many connections, and says plainly when the limit is near (once per episode).
import { readdirSync, readFileSync } from 'node:fs';

let cachedLimit: number | undefined;

/** The soft RLIMIT_NOFILE of this process (Infinity when unknown or unlimited). */
export function openFileLimit(): number {
  if (cachedLimit === undefined) {
    try {
      const m = readFileSync('/proc/self/limits', 'utf8').match(/^Max open files\s+(\d+|unlimited)/m);
      cachedLimit = m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
    } catch {
      cachedLimit = Infinity;
    }
  }
  return cachedLimit;
}

/** Descriptors this process has open now. */
export function openFileCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/** Headroom below the limit at which new connections are about to be refused. */
const NEAR = 8;

export class FdPressure {
  private warned = false;

  constructor(private readonly warn: (message: string) => void) {}

  /** Call on every accepted connection with the number of connections held (two descriptors each). */
  accepted(connections: number): void {
    const limit = openFileLimit();
    if (!Number.isFinite(limit)) return;
    // Cheap until the connections alone could use a quarter of the limit.
    if (connections * 2 < limit / 4) {
      this.warned = false;
      return;
    }
    const used = openFileCount();
    if (used >= limit - NEAR) {
      if (this.warned) return;
      this.warned = true;
      this.warn(
        `${used} of the ${limit} file descriptors ipctap may open are in use (EMFILE: too many open files; ${connections} connections held): ` +
          `new connections are refused (reset) until some close. Raise the limit (ulimit -n) or close connections.`,
      );
    } else if (used < limit / 2) this.warned = false;
  }
}
