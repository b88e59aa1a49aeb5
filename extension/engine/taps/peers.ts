// Peer-process lookups for taps. FIFO lookups are rate-limited: each scans /proc, so a burst of
// writer sessions must not turn into a burst of scans. At most MAX_RUNNING run at once; past
// MAX_QUEUED waiting, new ones give up at once (the session simply has no peers).
// Lookups never delay forwarding: the Relay emits 'open' without them if data comes first.
import type { Socket } from 'node:net';
import { findHolders, holderPids, peerPidsOfSocket } from '../process/procfs';

const MAX_RUNNING = 2;
const MAX_QUEUED = 16;
let running = 0;
const queue: Array<() => void> = [];

function limited<T>(fn: () => Promise<T>, fallback: T): Promise<T> {
  if (running >= MAX_RUNNING && queue.length >= MAX_QUEUED) return Promise.resolve(fallback);
  return new Promise<T>((resolve) => {
    const run = (): void => {
      running++;
      fn()
        .then(resolve, () => resolve(fallback))
        .finally(() => {
          running--;
          queue.shift()?.();
        });
    };
    if (running < MAX_RUNNING) run();
    else queue.push(run);
  });
}

/** Pids at the other end of a connected Unix or TCP socket ([] when /proc cannot tell).
 *  (peerPidsOfSocket batches concurrent requests into one scan itself.) */
export function socketPeers(sock: Socket): Promise<number[]> {
  return peerPidsOfSocket(sock).catch(() => []);
}

/** Pids (other than ours) that hold a FIFO open, by the texts its /proc/PID/fd links may show
 *  (its path; "PATH (deleted)" for a name that was replaced). */
export function fifoHolders(linkTexts: string[]): Promise<number[]> {
  return limited(async () => {
    const found = await findHolders(linkTexts, { budgetMs: 1000 });
    return [...new Set(linkTexts.flatMap((t) => holderPids(found.get(t))))];
  }, []);
}
