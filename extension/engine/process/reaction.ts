// What a process did right after a signal: output on its stdio, traffic on its connections, an
// exit, a stop. Fed chunks and events as they happen; says what it saw in one short phrase
// ("wrote 1 line on stdout 1 ms later"), or nothing when it saw nothing.
import { plural } from '../../shared/plural';
import type { Chunk, EventRecord } from '../types';

interface Activity {
  lines: number;
  bytes: number;
}

export class SignalReaction {
  /** Keyed by where: "stdout", "stderr", "connection 3". */
  private readonly activity = new Map<string, Activity>();
  private firstMono: number | undefined;
  private ending: string | undefined;

  /**
   * @param pid the signalled process
   * @param sentMono monotonic µs when the signal was sent
   * @param connsOf which connections belong to the process (its stdio, sockets it is a peer of)
   */
  constructor(
    private readonly pid: number,
    private readonly sentMono: number,
    private readonly connsOf: (conn: number) => boolean,
  ) {}

  /** True when the chunk counted as the process's reaction. */
  chunk(c: Chunk): boolean {
    if (c.dir === 'stdin' || !this.connsOf(c.conn)) return false;
    // Bytes toward the process on a socket are its peers' doing; what it sends is its reaction.
    const where = c.dir === 'stdout' || c.dir === 'stderr' ? c.dir : `connection ${c.conn}`;
    const a = this.activity.get(where) ?? { lines: 0, bytes: 0 };
    a.bytes += c.data.length;
    for (const b of c.data) if (b === 10) a.lines++;
    this.activity.set(where, a);
    this.firstMono ??= c.mono;
    return true;
  }

  /** True when the event ends the watch (the process exited, stopped or continued). */
  event(ev: EventRecord): boolean {
    if (ev.pid !== this.pid) return false;
    if (ev.kind === 'exit') this.ending = ev.signal ? `exited: killed by ${ev.signal}` : `exited with code ${ev.code}`;
    else if (ev.kind === 'stopped') this.ending = 'stopped';
    else if (ev.kind === 'continued') this.ending = 'continued';
    else return false;
    return true;
  }

  get sawActivity(): boolean {
    return this.firstMono !== undefined;
  }

  /** One phrase for what was seen, or undefined when nothing was. */
  describe(): string | undefined {
    const parts: string[] = [];
    for (const [where, a] of this.activity) {
      const what = where.startsWith('std') && a.lines > 0 ? plural(a.lines, 'line') : plural(a.bytes, 'byte');
      parts.push(`${what} on ${where}`);
    }
    let text = '';
    if (parts.length) {
      const ms = Math.max(0, Math.round(((this.firstMono ?? this.sentMono) - this.sentMono) / 1000));
      text = `wrote ${joinAnd(parts)} ${ms} ms later`;
    }
    if (this.ending) text = text ? `${text}, then ${this.ending}` : this.ending;
    return text || undefined;
  }
}

function joinAnd(parts: string[]): string {
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
