// Polling until a path is ready (a takeover target may appear after its server is launched).
import { UserError } from '../util/errors';

export interface WaitOptions {
  signal?: AbortSignal;
  /** Give up after this long (ms); Infinity waits until aborted. */
  timeoutMs: number;
  intervalMs?: number;
  /** Called once, the first time the check says "not yet". */
  onWaiting?: () => void;
  /** The error message when the time is up. */
  timeoutMessage: () => string;
}

/** Default wait for a takeover target to appear. */
export const DEFAULT_WAIT_MS = 60_000;

/** Resolves once check() returns true; check() may throw to fail at once. */
export async function waitUntil(check: () => boolean | Promise<boolean>, o: WaitOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  const interval = o.intervalMs ?? 25;
  let told = false;
  for (;;) {
    throwIfAborted(o.signal);
    if (await check()) return;
    throwIfAborted(o.signal);
    if (!told) {
      told = true;
      o.onWaiting?.();
    }
    if (Date.now() >= deadline) throw new UserError(o.timeoutMessage());
    await sleep(interval, o.signal);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortError(signal!));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
