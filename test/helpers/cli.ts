// Run the built ipctap CLI (dist/cli.js) as a user would, with a private state/runtime dir.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import net from 'node:net';

export const CLI = resolve(__dirname, '../../dist/cli.js');

export interface CliEnv {
  dir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/** A temp dir with its own ipctap state and runtime dirs. */
export function cliEnv(): CliEnv {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-cli-'));
  return {
    dir,
    env: { ...process.env, IPCTAP_STATE_DIR: join(dir, 'state'), IPCTAP_RUNTIME_DIR: join(dir, 'run') },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Run the built CLI as user nobody (setpriv; the caller must be root), from a copy in `dir`
 * (the checkout may sit in a directory nobody can read), with a state dir in `dir` too.
 */
export function runCliAsNobody(dir: string, args: string[]): SpawnSyncReturns<string> {
  chmodSync(dir, 0o755);
  const cli = join(dir, 'cli.js');
  copyFileSync(CLI, cli);
  chmodSync(cli, 0o644);
  mkdirSync(join(dir, 'state'), { mode: 0o777 });
  chmodSync(join(dir, 'state'), 0o777);
  return spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, HOME: dir, IPCTAP_STATE_DIR: join(dir, 'state'), IPCTAP_RUNTIME_DIR: join(dir, 'state', 'run') },
  });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      // SIGTERM first: ipctap then stops its program and restores what it took over (a SIGKILL
      // would leave the program orphaned); SIGKILL only if it does not end.
      p.kill('SIGTERM');
      setTimeout(() => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'), 3000).unref();
      rej(new Error(`ipctap ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 30000);
    p.on('error', rej);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr });
    });
    if (opts.input !== undefined) p.stdin.end(opts.input);
    else p.stdin.end();
  });
}

/** A long-running ipctap with its JSON Lines output parsed as it comes. */
/** The rows of `ipctap read CAPTURE --json ARGS…` (JSON Lines, one object per line). */
export async function readRows(capture: string, args: string[], env: NodeJS.ProcessEnv): Promise<Record<string, unknown>[]> {
  return (await runCli(['read', capture, '--json', ...args], { env })).stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export class LiveCli {
  readonly proc: ChildProcess;
  readonly rows: Record<string, unknown>[] = [];
  stderr = '';
  private waiters: { pred: (r: Record<string, unknown>) => boolean; res: (r: Record<string, unknown>) => void }[] = [];
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.proc = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr!.on('data', (d) => (this.stderr += d));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(line);
      } catch {
        throw new Error(`not JSON on stdout: ${line}`);
      }
      this.rows.push(row);
      this.waiters = this.waiters.filter((w) => (w.pred(row) ? (w.res(row), false) : true));
    });
    this.closed = new Promise((res) => this.proc.on('close', (code, signal) => res({ code, signal })));
  }

  waitFor(pred: (r: Record<string, unknown>) => boolean, timeoutMs = 15000): Promise<Record<string, unknown>> {
    const found = this.rows.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`timed out waiting for a row; have ${JSON.stringify(this.rows.slice(-5))}\nstderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({ pred, res: (r) => (clearTimeout(timer), res(r)) });
    });
  }

  /** Resolves with stderr once it matches `re`. */
  async waitForStderr(re: RegExp, timeoutMs = 15000): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (!re.test(this.stderr)) {
      if (Date.now() > end || this.proc.exitCode !== null) throw new Error(`stderr never matched ${re}: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.stderr;
  }

  async stop(sig: NodeJS.Signals = 'SIGINT'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(sig);
    return this.closed;
  }
}

export function frames(rows: Record<string, unknown>[], pred: (r: Record<string, unknown>) => boolean = () => true) {
  return rows.filter((r) => r.type === 'frame' && pred(r));
}

export function b64(r: Record<string, unknown>): Buffer {
  return Buffer.from(String(r.data), 'base64');
}

/** Wait until a Unix socket at `path` accepts connections (for a CLI run with -q, which prints
 *  no tap-ready row). */
export async function connectable(path: string, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = net.connect(path);
      s.once('connect', () => (s.destroy(), res(true)));
      s.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${path} never accepted a connection`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
