// What is running and open in a session: processes (spawned, exited, stopped, continued),
// connections (opened, peers found later, closed, frames and bytes) and taps (ready). A live
// Session feeds it events and bytes as they happen; a capture read back feeds it its rows.
import type { ConnectionInfo, ProcessInfo, TapInfo } from '../shared/requests';
import type { EventFields } from '../shared/events';
import type { Row } from './types';

export class Activity {
  readonly procs = new Map<number, ProcessInfo>();
  readonly conns = new Map<number, ConnectionInfo>();
  readonly taps = new Map<string, TapInfo>();

  /** A process the session launched itself (its info object is the one kept up to date). */
  launched(info: ProcessInfo): void {
    this.procs.set(info.pid, info);
  }

  event(ev: EventFields<string>): void {
    switch (ev.kind) {
      case 'spawn':
        if (ev.pid !== undefined && !this.procs.has(ev.pid)) {
          const command = ev.command ?? [];
          this.procs.set(ev.pid, { pid: ev.pid, name: (command[0] ?? String(ev.pid)).split('/').pop()!, command, state: 'running' });
        }
        break;
      case 'exit':
      case 'stopped':
      case 'continued': {
        const p = ev.pid !== undefined ? this.procs.get(ev.pid) : undefined;
        if (!p) break;
        if (ev.kind === 'exit') Object.assign(p, { state: 'exited', code: ev.code ?? null, signal: ev.signal ?? null });
        else p.state = ev.kind === 'stopped' ? 'stopped' : 'running';
        break;
      }
      case 'open':
        if (ev.conn !== undefined) this.conns.set(ev.conn, { conn: ev.conn, tap: ev.tap ?? '?', from: ev.from, to: ev.to, peers: ev.peers, frames: 0, bytes: 0, open: true });
        break;
      case 'note': {
        // Peer pids found after the connection opened.
        const c = ev.conn !== undefined && ev.peers ? this.conns.get(ev.conn) : undefined;
        if (c) c.peers = { ...c.peers, ...ev.peers };
        break;
      }
      case 'close': {
        const c = ev.conn !== undefined ? this.conns.get(ev.conn) : undefined;
        if (c) c.open = false;
        break;
      }
      case 'tap-ready':
        if (ev.tap) this.taps.set(ev.tap, { spec: ev.tap, kind: ev.tap.split(':', 1)[0]!, address: ev.address });
        break;
    }
  }

  /** Bytes read on a connection (live: counted as they arrive, before decoding). */
  bytes(conn: number, n: number): void {
    const c = this.conns.get(conn);
    if (c) c.bytes += n;
  }

  /** A decoded frame (live: bytes are counted by bytes(); read back: by the frame's length). */
  frame(conn: number, tap: string, len?: number): void {
    let c = this.conns.get(conn);
    if (!c) this.conns.set(conn, (c = { conn, tap, frames: 0, bytes: 0, open: true }));
    c.frames++;
    if (len !== undefined) c.bytes += len;
  }

  /** A row of a capture read back. */
  row(row: Row): void {
    if (row.type === 'frame') this.frame(row.conn, row.tap, row.len);
    else this.event(row);
  }
}
