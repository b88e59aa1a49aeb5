// A TapSink that records everything, for tests of launch, signals and the stdio tap.
import type { TapSink } from '../../extension/engine/taps/tap';
import type { Direction, EventBody } from '../../extension/engine/types';

export class Recorder implements TapSink {
  private next = 1;
  readonly events: EventBody[] = [];
  readonly chunks: { conn: number; dir: Direction; data: Buffer }[] = [];
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];

  newConn(): number {
    return this.next++;
  }
  chunk(conn: number, dir: Direction, data: Uint8Array): void {
    this.chunks.push({ conn, dir, data: Buffer.from(data) });
    this.poke();
  }
  event(ev: EventBody): void {
    this.events.push(ev);
    this.poke();
  }
  /** All bytes of one direction, concatenated. */
  bytes(dir: Direction, conn?: number): Buffer {
    return Buffer.concat(this.chunks.filter((c) => c.dir === dir && (conn === undefined || c.conn === conn)).map((c) => c.data));
  }
  text(dir: Direction): string {
    return this.bytes(dir).toString('utf8');
  }
  kinds(): string[] {
    return this.events.map((e) => e.kind);
  }
  /** Resolves when pred() holds; rejects after timeoutMs with what was seen so far. */
  until(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events)}; stdout: ${JSON.stringify(this.text('stdout'))}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
  private poke(): void {
    for (const w of [...this.waiters]) {
      if (w.pred()) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve();
      }
    }
  }
}
