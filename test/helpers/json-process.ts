// A child process that speaks JSON lines on stdout (and takes lines on stdin): for protocol
// integration tests driving Python and Node peers.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export class JsonProcess {
  readonly lines: unknown[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];
  private done = false;
  readonly child: ChildProcess;

  constructor(
    cmd: string,
    args: string[],
    readonly name = `${cmd} ${args.join(' ')}`,
  ) {
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l));
      } catch {
        this.lines.push({ text: l });
      }
      this.wakeAll();
    });
    this.child.stderr!.on('data', (b: Buffer) => this.stderr.push(b.toString()));
    this.exited = new Promise((r) =>
      this.child.once('close', (code) => {
        this.done = true;
        this.wakeAll();
        r(code);
      }),
    );
  }

  private wakeAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The first line (from the start) matching pred. */
  async line<T = Record<string, unknown>>(pred: (o: Record<string, unknown>) => boolean, timeoutMs = 20000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find((o) => typeof o === 'object' && o !== null && pred(o as Record<string, unknown>));
      if (hit) return hit as T;
      if (this.done) throw new Error(`${this.name} exited without the expected line; stderr: ${this.stderr.join('')}; lines: ${JSON.stringify(this.lines)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: timed out; stderr: ${this.stderr.join('')}; lines: ${JSON.stringify(this.lines)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
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
