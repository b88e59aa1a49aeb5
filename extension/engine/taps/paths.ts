// Names a takeover uses next to the taken-over path.
import { basename, dirname, join } from 'node:path';

/** Longest path a Unix socket can be bound or connected at (sun_path is 108 bytes with the NUL). */
export const SUN_PATH_MAX = 107;

let counter = 0;

export interface TakeoverNames {
  /** Where the original lives during the takeover. */
  renamedTo: string;
  /** Where we create our own socket/FIFO before renaming it onto the path. */
  tmp: string;
}

/** ".NAME.ipctap-PID" (and ".NAME.ipctap-PID-N.new" for ours), shortened when a socket path would
 *  not fit in sun_path. */
export function takeoverNames(path: string, forSocket: boolean): TakeoverNames {
  const dir = dirname(path);
  const n = ++counter;
  const long: TakeoverNames = {
    renamedTo: join(dir, `.${basename(path)}.ipctap-${process.pid}${n > 1 ? `-${n}` : ''}`),
    tmp: join(dir, `.${basename(path)}.ipctap-${process.pid}-${n}.new`),
  };
  if (!forSocket || fits(long.renamedTo, long.tmp)) return long;
  return { renamedTo: join(dir, `.ipctap-${process.pid}-${n}`), tmp: join(dir, `.ipctap-${process.pid}-${n}n`) };
}

export function fits(...paths: string[]): boolean {
  return paths.every((p) => Buffer.byteLength(p) <= SUN_PATH_MAX);
}

/** Node's spelling of an abstract socket name ("@name" → "\0name"). */
export function nodeSocketPath(p: string): string {
  return p.startsWith('@') ? `\0${p.slice(1)}` : p;
}
