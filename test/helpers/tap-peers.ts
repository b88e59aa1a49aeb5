// Real peer processes for the tap tests (Node peers in test/fixtures/node/taps, Go fifo-peer), and
// a recording TapSink that hashes what the tap captured per connection and direction.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import type { Direction, EventBody } from '../../extension/engine/types';
import type { TapSink } from '../../extension/engine/taps/tap';
import { goBinary } from './go';

export const PEER_SCRIPT = resolve(__dirname, '../fixtures/node/taps/peer.mjs');

type Json = Record<string, unknown>;

/** A child process that reports JSON lines on stdout. */
export class Peer {
  readonly lines: Json[] = [];
  private consumed = 0;
  private wake: (() => void) | undefined;
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as Json);
      } catch {
        this.lines.push({ text: l });
      }
      this.wake?.();
    });
    child.stderr!.on('data', (b: Buffer) => this.stderr.push(b.toString()));
    // 'close', not 'exit': by then every stdout line has been read
    this.exited = new Promise((r) => child.once('close', (code, signal) => r({ code, signal })));
    void this.exited.then(() => this.wake?.());
  }

  static node(args: string[], env?: NodeJS.ProcessEnv): Peer {
    return new Peer(`peer.mjs ${args[0]} ${args[3] ?? ''}`, spawn(process.execPath, [PEER_SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env }));
  }

  static go(name: string, args: string[]): Peer {
    return new Peer(`${name} ${args[0]}`, spawn(goBinary(name), args, { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** The next line (in order) matching pred; fails after timeoutMs or when the process exits. */
  async next(pred: (o: Json) => boolean = () => true, timeoutMs = 20000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      while (this.consumed < this.lines.length) {
        const o = this.lines[this.consumed++];
        if (pred(o)) return o;
      }
      if (exited) throw new Error(`${this.name} exited without the expected line; stderr: ${this.stderr.join('')}; lines: ${JSON.stringify(this.lines)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no expected line within ${timeoutMs} ms; stderr: ${this.stderr.join('')}; lines: ${JSON.stringify(this.lines)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wake = undefined;
    }
  }

  send(line: string): void {
    this.child.stdin!.write(line + '\n');
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

export type Logged = { t: 'event'; ev: EventBody } | { t: 'chunk'; conn: number; dir: Direction; len: number };

interface Stream {
  hash: Hash;
  bytes: number;
}

/** A TapSink for tests: records events and chunk markers, hashes captured bytes per conn/dir. */
export class RecordingSink implements TapSink {
  private nextConn = 1;
  readonly events: EventBody[] = [];
  readonly log: Logged[] = [];
  private readonly streams = new Map<string, Stream>();
  private readonly digests = new Map<string, string>();
  readonly problems: string[] = [];

  newConn(): number {
    return this.nextConn++;
  }

  chunk(conn: number, dir: Direction, data: Uint8Array): void {
    if (!(data instanceof Uint8Array) || data.length === 0) this.problems.push(`chunk for conn ${conn} ${dir} is empty or not bytes`);
    const key = `${conn}:${dir}`;
    let s = this.streams.get(key);
    if (!s) this.streams.set(key, (s = { hash: createHash('sha256'), bytes: 0 }));
    s.hash.update(data);
    s.bytes += data.length;
    // keep one marker per run of chunks of the same conn/dir (64 MiB would be thousands)
    const last = this.log[this.log.length - 1];
    if (last && last.t === 'chunk' && last.conn === conn && last.dir === dir) last.len += data.length;
    else this.log.push({ t: 'chunk', conn, dir, len: data.length });
  }

  event(ev: EventBody): void {
    this.events.push(ev);
    this.log.push({ t: 'event', ev });
  }

  bytes(conn: number, dir: Direction): number {
    return this.streams.get(`${conn}:${dir}`)?.bytes ?? 0;
  }

  /** sha256 of everything captured for conn/dir (call once the connection closed). */
  sha(conn: number, dir: Direction): string {
    const key = `${conn}:${dir}`;
    let d = this.digests.get(key);
    if (d === undefined) {
      d = (this.streams.get(key)?.hash ?? createHash('sha256')).digest('hex');
      this.digests.set(key, d);
    }
    return d;
  }

  conns(): number[] {
    return this.events.filter((e) => e.kind === 'open').map((e) => e.conn!);
  }

  closeOf(conn: number): EventBody | undefined {
    return this.events.find((e) => e.kind === 'close' && e.conn === conn);
  }

  async waitFor(pred: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.slice(-20))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits until n connections have closed. */
  waitClosed(n: number, timeoutMs = 20000): Promise<void> {
    return this.waitFor(() => this.events.filter((e) => e.kind === 'close').length >= n, `${n} closed connection(s)`, timeoutMs);
  }
}
