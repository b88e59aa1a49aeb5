// One forwarded connection: bytes from the client go to the server (c2s) and back (s2c), each
// chunk handed to the sink as read, then written on. Used by the unix, tcp and fifo taps.
//
// - Byte-exact and in order: each 'data' Buffer is written to the other side unchanged.
// - Backpressure: when the other side's write() says its buffer is full, reading pauses until
//   'drain' (what stream.pipe does), so a slow reader slows the writer; nothing piles up here.
// - Capture never blocks forwarding: sink.chunk() gets the Buffer just read, synchronously; the
//   sink copies or spills it. A throwing sink is reported once and ignored. Only with lossless
//   capture (sink.holdBack) does reading wait while the capture file is behind.
// - Half-close: one side's EOF becomes end() on the other (sockets are allowHalfOpen).
// - A reset on one side (ECONNRESET, EPIPE, ECONNABORTED) is recorded (close reason 'reset') and
//   passed on: the other side is reset too (TCP: RST; Unix: closed at once). Another error is
//   recorded as 'error' and the other side is ended cleanly (FIN after flushing what was already
//   written) and then closed.
import type { Socket } from 'node:net';
import type { Direction, EventBody } from '../types';
import type { TapSink } from './tap';
import { SourceHolds } from './holds';
import type { ReadPort } from './read-pool';

export type Peers = { client?: number[]; server?: number[] };
/** Finds the processes (other than ours) at the far end of one side of the connection. */
export type PeerLookup = (side: 'client' | 'server', sock: Socket) => Promise<number[]>;

export interface RelayOptions {
  sink: TapSink;
  conn: number;
  /** The tap's name (its canonical spec). */
  tap: string;
  from: string;
  to: string;
  client: Socket;
  server: Socket;
  /** Only client→server (a FIFO): the client is read-only, the server write-only. */
  oneWay?: boolean;
  /** The server socket is still connecting; start reading the client once it has connected. */
  connecting?: boolean;
  /** Finds the processes at the far end of a socket (both ends are looked up in the background). */
  lookupPeers?: PeerLookup;
  /** Called once, after the 'close' event. */
  onClose?: (relay: Relay) => void;
  /** Sockets created with a ReadPort's onread (see read-pool.ts): their reads come through it. */
  reads?: { client?: ReadPort; server?: ReadPort };
}

export type CloseReason = 'eof' | 'reset' | 'error' | 'stopped';

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

export class Relay {
  readonly conn: number;
  private opened = false;
  private closed = false;
  private reason: CloseReason | undefined;
  private message: string | undefined;
  private peers: Peers = {};
  private pending = 0;
  private socketsOpen: number;
  private sinkFailed = false;

  constructor(private readonly o: RelayOptions) {
    this.conn = o.conn;
    const { client, server } = o;
    this.socketsOpen = 2;
    for (const [sock, side] of [
      [client, 'client'],
      [server, 'server'],
    ] as const) {
      sock.on('error', (err: NodeJS.ErrnoException) => this.fail(side, err));
      sock.once('close', () => this.sockClosed());
    }
    if (o.lookupPeers) {
      this.lookup('client', client);
      if (!o.connecting) this.lookup('server', server);
    }
    if (o.connecting) {
      server.once('connect', () => {
        if (o.lookupPeers) this.lookup('server', server);
        this.start();
      });
    } else this.start();
  }

  /** Why the connection closed (once closed). */
  get closeReason(): CloseReason | undefined {
    return this.closed ? (this.reason ?? 'eof') : undefined;
  }

  /** Close both sides now (the tap is stopping). */
  stop(): void {
    if (!this.reason) this.reason = 'stopped';
    this.o.client.destroy();
    this.o.server.destroy();
  }

  private start(): void {
    const { client, server } = this.o;
    client.setNoDelay(true);
    server.setNoDelay(true);
    this.pump(client, server, 'c2s', this.o.reads?.client);
    if (!this.o.oneWay) this.pump(server, client, 's2c', this.o.reads?.server);
    client.resume();
  }

  private pump(src: Socket, dst: Socket, dir: Direction, port: ReadPort | undefined): void {
    const { sink, conn } = this.o;
    const holds = new SourceHolds(src);
    const onData = (buf: Buffer): void => {
      if (!this.opened) this.emitOpen();
      // Forward first, then capture: the bytes are on their way while the capture encodes them
      // (nothing else runs in between, so the capture order is still the order of reads).
      if (!dst.destroyed && !dst.writableEnded) {
        if (!dst.write(buf)) holds.holdUntilDrain(dst);
        // Not all written at once: the socket keeps `buf` until it has, so a pooled read buffer
        // must not be read into again. (A write done at once has already left writableLength.)
        if (port && dst.writableLength > 0) port.hold();
      }
      // (When the other side is gone the bytes are captured, not forwarded.)
      if (!this.sinkFailed) {
        try {
          sink.chunk(conn, dir, buf);
        } catch (e) {
          this.sinkFailed = true;
          this.event({ kind: 'error', conn, tap: this.o.tap, message: `capture failed, forwarding goes on: ${(e as Error).message}` });
        }
        holds.holdUntil(sink.holdBack?.());
      }
    };
    if (port) port.setHandler(onData);
    else src.on('data', onData);
    src.on('end', () => {
      if (!this.opened) this.emitOpen();
      this.event({ kind: 'half-close', conn, tap: this.o.tap, dir });
      if (!dst.destroyed && !dst.writableEnded) dst.end();
      else if (!dst.destroyed && this.reason) dst.destroy();
    });
    src.resume();
  }

  private fail(side: 'client' | 'server', err: NodeJS.ErrnoException): void {
    if (!this.reason) {
      this.reason = err.code && RESET_CODES.has(err.code) ? 'reset' : 'error';
      const who = side === 'client' ? 'client' : 'server';
      const what =
        side === 'server' && !this.opened && this.o.connecting
          ? `cannot connect to ${this.o.to}: ${err.message}`
          : `${who} ${this.reason === 'reset' ? 'reset the connection' : 'error'}: ${err.message}`;
      this.message = what;
    }
    const other = side === 'client' ? this.o.server : this.o.client;
    // A FIFO whose reader went away: drop our read end too, so the writer learns (EPIPE).
    if (this.o.oneWay && side === 'server') other.destroy();
    // A reset is passed on as a reset: the other peer learns at once (ECONNRESET/EPIPE), as it
    // would without the tap, instead of streaming on into a half-closed connection.
    else if (err.code && RESET_CODES.has(err.code) && !this.o.oneWay) resetSocket(other);
    else closeCleanly(other);
  }

  private sockClosed(): void {
    if (--this.socketsOpen > 0) return;
    if (this.closed) return;
    this.closed = true;
    if (!this.opened) this.emitOpen();
    const ev: EventBody = { kind: 'close', conn: this.o.conn, tap: this.o.tap, reason: this.reason ?? 'eof' };
    if (this.message) ev.message = this.message;
    this.event(ev);
    this.o.onClose?.(this);
  }

  private lookup(side: 'client' | 'server', sock: Socket): void {
    const fn = this.o.lookupPeers;
    if (!fn) return;
    this.pending++;
    let p: Promise<number[]>;
    try {
      p = fn(side, sock);
    } catch {
      p = Promise.resolve([]);
    }
    p.then(
      (pids) => this.gotPeers(side, pids),
      () => this.gotPeers(side, []),
    );
  }

  private gotPeers(side: 'client' | 'server', pids: number[]): void {
    this.pending--;
    if (pids.length > 0) this.peers[side] = pids;
    if (!this.opened) {
      if (this.pending === 0) this.emitOpen();
      return;
    }
    // Also after the close: a short connection is often gone before /proc has answered, and
    // its peers are still worth knowing.
    if (pids.length > 0) {
      this.event({
        kind: 'note',
        conn: this.o.conn,
        tap: this.o.tap,
        peers: side === 'client' ? { client: pids } : { server: pids },
        message: `${side} pid ${pids.join(', ')}`,
      });
    }
  }

  private emitOpen(): void {
    this.opened = true;
    const ev: EventBody = { kind: 'open', conn: this.o.conn, tap: this.o.tap, from: this.o.from, to: this.o.to };
    if (this.peers.client || this.peers.server) ev.peers = { ...this.peers };
    this.event(ev);
  }

  private event(ev: EventBody): void {
    try {
      this.o.sink.event(ev);
    } catch {
      // the sink's problem; forwarding goes on
    }
  }
}

/** Abort a connection: RST for TCP; for a Unix socket a close, which its peer sees as a reset
 *  when unread data is left (or on its next write).
 *
 *  A TCP socket whose end() is still being flushed (the half-close of the other direction,
 *  waiting for a slow peer to read) cannot be reset: libuv refuses SO_LINGER 0 while a shutdown
 *  is pending (EINVAL), and Node then never closes the socket, so its peer would wait forever on
 *  a connection nobody serves. Such a socket is closed instead: the kernel sends RST for the
 *  unread bytes it holds, or the peer's next write gets one. */
export function resetSocket(s: Socket): void {
  if (s.destroyed) return;
  if (s.writableEnded && !s.writableFinished) {
    s.destroy();
    return;
  }
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy(); // not TCP
  }
}

/**
 * Close a socket whose peer on the other side of the relay is gone, cleanly: flush what was
 * already written to it, send FIN, and keep reading it (what it still sends is captured and
 * dropped) until it ends too, so it sees an orderly close rather than a reset.
 */
export function closeCleanly(s: Socket): void {
  if (s.destroyed) return;
  const canWrite = s.writable && !s.writableEnded;
  if (!canWrite && !s.readable) {
    if (s.writableEnded && !s.writableFinished) s.once('finish', () => s.destroy());
    else s.destroy();
    return;
  }
  if (canWrite) s.end();
  if (s.readable) s.resume();
}
