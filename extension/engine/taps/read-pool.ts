// Reads into buffers the relay owns (net's `onread`), for the unix and tcp taps.
//
// By default Node reads at most 64 KiB at a time into a fresh buffer and hands it through the
// Readable machinery. A relay does better reading into its own buffer and reusing it while
// nothing else holds the bytes: measured through a bare relay, TCP 64 KiB writes went from
// 0.8x socat to 1.2-1.5x with 256 KiB reads into one reused buffer (loopback TCP queues more than
// 64 KiB per wake-up), Unix sockets a little faster with 64 KiB reads (their send buffer is
// ~200 KiB; bigger reads only made partial writes).
//
// A buffer is reused only when the bytes handed out are no longer referenced: the relay calls
// hold() when its write could not complete at once (the socket keeps a reference until it has
// written them), and the next read goes into a fresh buffer. Sinks copy what they keep
// (TapSink.chunk).
//
// Memory: each pooled connection keeps one buffer per direction, so at most MAX_POOLED
// connections at a time get one (32 x 2 x 256 KiB = 16 MiB); later ones read the default way.
import net from 'node:net';

/** Bytes per read, by tap kind. */
export const READ_SIZE = { unix: 64 * 1024, tcp: 256 * 1024 } as const;
/** Connections reading into their own buffers at once. */
export const MAX_POOLED = 32;

export class ReadPort {
  private buf: Buffer | undefined;
  private held = false;
  private handler: ((data: Buffer) => void) | undefined;
  /** Bytes read before a handler was set (copies). */
  private early: Buffer[] = [];
  readonly onread: net.OnReadOpts;

  constructor(readonly size: number) {
    this.onread = {
      buffer: () => this.next(),
      callback: (n: number, b: Uint8Array) => {
        const view = (b as Buffer).subarray(0, n);
        if (this.handler) this.handler(view);
        else this.early.push(Buffer.from(view));
        return true; // (pausing goes through socket.pause(), which stops the handle reading)
      },
    };
  }

  /** Where each read goes from now on, valid only during the call (bytes read before are given first). */
  setHandler(handler: (data: Buffer) => void): void {
    this.handler = handler;
    const early = this.early;
    this.early = [];
    for (const b of early) handler(b);
  }

  /** The bytes just handed out are still referenced (a write is waiting with them): read the
   *  next ones into a fresh buffer. */
  hold(): void {
    this.held = true;
  }

  /** The buffer the next read goes into. */
  private next(): Buffer {
    if (!this.buf || this.held) {
      this.buf = Buffer.allocUnsafeSlow(this.size);
      this.held = false;
    }
    return this.buf;
  }
}

/**
 * The accepted socket `sock` (paused, not yet read) as a socket reading through `onread`, or
 * undefined when that cannot be done (then `sock` is used as it is). net.Server has no option for
 * it, so the connection's handle is moved to a new Socket; the server's connection count moves
 * along (server.close() waits for it).
 */
export function adoptWithOnread(sock: net.Socket, onread: net.OnReadOpts): net.Socket | undefined {
  const old = sock as net.Socket & { _handle?: unknown; _server?: unknown; server?: unknown };
  const handle = old._handle;
  if (!handle || old.readableFlowing === true || old.destroyed) return undefined;
  let s: net.Socket & { _handle?: unknown; _server?: unknown; server?: unknown };
  try {
    s = new net.Socket({ handle, onread, allowHalfOpen: true, readable: true, writable: true, pauseOnCreate: true } as net.SocketConstructorOpts);
  } catch {
    return undefined;
  }
  if (s._handle !== handle) return undefined;
  s._server = old._server;
  s.server = old.server;
  old._server = null;
  old._handle = null;
  return s;
}
