// Replay: re-send one captured connection's client side to a live peer, pacing by the server's
// answers (or by the original gaps), capture the new exchange through a session, and compare each
// response frame with the original.
import { spawn } from 'node:child_process';
import { openSync, closeSync, fstatSync, statSync, constants as fsc } from 'node:fs';
import { nodeSocketPath } from '../taps/paths';
import net from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { readCaptureRows } from '../read';
import type { DecodeChoice } from '../rows';
import type { Session } from '../session';
import type { Readable } from 'node:stream';
import type { Direction, EventBody, FrameRow } from '../types';
import { UserError } from '../util/errors';
import { toJson } from '../util/json';
import { encodeValue } from './encode';

/** Where a replay or an edited message goes: a socket, a FIFO, or (`exec`) a fresh process
 *  started for it, written to on its stdin and answering on its stdout (a stdio server such as
 *  a language server). */
export type ReplayTarget = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number } | { kind: 'fifo'; path: string } | { kind: 'exec'; command: string[] };

/** `text` is unix:PATH, tcp:HOST:PORT, fifo:PATH, `exec` (the program and its arguments in
 *  `command`: what follows `--` on the command line) or exec:["PROGRAM","ARG",…] (a JSON array,
 *  the form VS Code and a replay's tap name use). */
export function parseReplayTarget(text: string, command: string[] = []): ReplayTarget {
  if (text === 'exec') {
    if (command.length === 0 || !command[0]) throw new UserError(`--to exec: give the server's command after --, e.g. --to exec -- vscode-json-language-server --stdio`, 1);
    return { kind: 'exec', command };
  }
  if (command.length) throw new UserError(`a command after -- is only for --to exec (got --to ${text})`, 1);
  if (text.startsWith('exec:')) {
    let argv: unknown;
    try {
      argv = JSON.parse(text.slice(5));
    } catch {
      argv = undefined;
    }
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string') || !argv[0])
      throw new UserError(`${text}: expected exec:["PROGRAM","ARG",…] (a JSON array of strings), or --to exec -- PROGRAM ARGS…`, 1);
    return { kind: 'exec', command: argv as string[] };
  }
  const m = /^(unix|tcp|fifo):(.+)$/.exec(text);
  if (!m) throw new UserError(`--to ${text}: expected unix:PATH, tcp:HOST:PORT, fifo:PATH or exec (with the command after --)`, 1);
  const [, kind, rest] = m as unknown as [string, string, string];
  if (kind === 'tcp') {
    const t = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(rest) ?? /^()()(\d+)$/.exec(rest);
    if (!t) throw new UserError(`--to ${text}: expected tcp:HOST:PORT`, 1);
    const port = Number(t[3]);
    if (port < 1 || port > 65535) throw new UserError(`--to ${text}: port out of range`, 1);
    return { kind: 'tcp', host: t[1] || t[2] || '127.0.0.1', port };
  }
  // unix:@name is an abstract socket, not a path
  if (kind === 'unix' && rest.startsWith('@')) return { kind: 'unix', path: rest };
  return { kind: kind as 'unix' | 'fifo', path: resolvePath(rest) };
}

export interface Comparison {
  index: number;
  result: 'same' | 'differs' | 'missing' | 'extra';
  /** First differing byte offset, for 'differs'. */
  at?: number;
  original?: FrameRow;
  replayed?: FrameRow;
  note?: string;
}

export interface ReplayResult {
  conn: number;
  /** Client frames sent, of `total` (fewer when the server closed the connection first). */
  sent: number;
  total: number;
  comparisons: Comparison[];
  ok: boolean;
  notes: string[];
}

export interface ReplayOptions extends DecodeChoice {
  file: string;
  conn: number;
  to: ReplayTarget;
  /** Wait this long for the server before each frame and at the end (ms). */
  timeoutMs?: number;
  pace?: 'responses' | 'original';
  /** The session the new exchange is captured in (its sink gets the chunks). */
  session: Session;
  /** Replay from this row on ("Replay from here"): the client frames from this id (or, for a
   *  server frame, from the request it answers, else the next client frame), and only the
   *  server frames after that point are compared. */
  fromId?: number;
  /** Send the client frames only up to this id (and compare the server frames sent before the
   *  next client frame): the connection's setup, then an edited message (see `edits`). */
  untilId?: number;
  /** Bytes to send instead of a client frame's, by frame id ("Edit and Send"). */
  edits?: Map<number, Uint8Array>;
}

/** How long the server is quiet after answering the last request before a replay ends. */
const ANSWERED_QUIET_MS = 200;

/** Decoders whose connections set up state early (type definitions, a handshake, settings): a
 *  replay that skips the start of such a connection may not be understood by a fresh peer. */
const STATEFUL = /^(gob|netrpc|zmtp|http2|grpc|lsp|jsonrpc)$/;

const CLIENT_DIRS: Direction[] = ['c2s', 'stdin'];

/** Load connection N's frames from a capture. */
async function loadConnection(opts: ReplayOptions): Promise<{ tap: string; client: FrameRow[]; server: FrameRow[] }> {
  const client: FrameRow[] = [];
  const server: FrameRow[] = [];
  let tap: string | undefined;
  const others = new Set<number>(); // the connections there are, for the error when N is not one
  for await (const row of readCaptureRows(opts.file, opts)) {
    if (row.type !== 'frame') continue;
    if (row.conn !== opts.conn) {
      if (tap === undefined && row.conn !== undefined) others.add(row.conn);
      continue;
    }
    tap ??= row.tap;
    if (row.dir === 'stderr') continue;
    (CLIENT_DIRS.includes(row.dir) ? client : server).push(row);
  }
  if (tap === undefined) {
    const list = [...others].sort((a, b) => a - b);
    const has =
      list.length === 0 ? 'it has no frames at all' : `connections with frames: ${list.length > 20 ? `${list.slice(0, 20).join(', ')}, … (${list.length})` : list.join(', ')}`;
    throw new UserError(`connection ${opts.conn} has no frames in ${opts.file}; ${has} (see 'ipctap read ${opts.file}')`);
  }
  if (client.length === 0) throw new UserError(`connection ${opts.conn} has nothing sent by its client to replay`);
  return { tap, client, server };
}

/** The part of the connection a replay from `fromId` covers, with a note saying what was left out. */
function fromRow(conn: number, client: FrameRow[], server: FrameRow[], fromId: number): { client: FrameRow[]; server: FrameRow[]; note: string } {
  const picked = [...client, ...server].find((f) => f.id === fromId);
  if (!picked) throw new UserError(`frame #${fromId} is not a frame of connection ${conn}`);
  // A response replays from its request.
  const want = CLIENT_DIRS.includes(picked.dir) ? picked.id : (picked.pair?.request ?? picked.id);
  const skipped = client.findIndex((f) => f.id >= want); // client frames are in id order
  if (skipped < 0) throw new UserError(`connection ${conn} has no client frame at or after #${fromId} to replay`);
  const first = client[skipped]!;
  const start = first.id;
  const proto = first.proto;
  let note = `replaying connection ${conn} from frame #${start}: ${skipped} earlier client frame${skipped === 1 ? '' : 's'} not sent`;
  if (skipped > 0 && STATEFUL.test(proto.split('+').pop()!)) {
    note += ` (${proto} sets up state at the start of a connection — type definitions, a handshake or settings — so a fresh peer may not understand the rest; replay the whole connection if it answers with errors)`;
  }
  return { client: client.slice(skipped), server: server.filter((f) => f.id > start), note };
}

/** `opts.to` as text, for the session's open event. */
export function targetText(to: ReplayTarget): string {
  if (to.kind === 'tcp') return `tcp:${to.host}:${to.port}`;
  if (to.kind === 'exec') return `exec:${JSON.stringify(to.command)}`;
  return `${to.kind}:${to.path}`;
}

/**
 * A captured LSP / JSON-RPC `initialize` names the process that started the server
 * (`processId`); a server exits once that process is gone, and the captured client is. The
 * replay is the client now: its own pid goes in its place (unless the frame was edited).
 */
function ownInitialize(frame: FrameRow): Uint8Array | undefined {
  const v = frame.decoded as { method?: unknown; params?: { processId?: unknown } } | null;
  if (!/(^|\+)(lsp|jsonrpc)$/.test(frame.proto) || v?.method !== 'initialize' || typeof v.params?.processId !== 'number') return undefined;
  if (v.params.processId === process.pid) return undefined;
  return encodeValue(frame.proto, { ...v, params: { ...v.params, processId: process.pid } }, frame.data);
}

export async function replayConnection(opts: ReplayOptions): Promise<ReplayResult> {
  let { client, server } = await loadConnection(opts);
  const notes: string[] = [];
  if (opts.fromId !== undefined) {
    const part = fromRow(opts.conn, client, server, opts.fromId);
    ({ client, server } = part);
    notes.push(part.note);
  }
  if (opts.untilId !== undefined) {
    const until = opts.untilId;
    if (!client.some((f) => f.id === until)) throw new UserError(`frame #${until} is not a client frame of connection ${opts.conn}`);
    const next = client.find((f) => f.id > until)?.id ?? Infinity;
    client = client.filter((f) => f.id <= until);
    server = server.filter((f) => f.id < next);
  }
  const timeoutMs = opts.timeoutMs ?? 5000;
  const session = opts.session;
  const sink = session.sink;
  const conn = sink.newConn();
  const toText = targetText(opts.to);
  // A process is written to on its stdin and answers on its stdout; a socket or FIFO is c2s/s2c.
  const [clientDir, serverDir]: [Direction, Direction] = opts.to.kind === 'exec' ? ['stdin', 'stdout'] : ['c2s', 's2c'];

  // The last client frame, when it is a request, is answered once a response pairs with it: the
  // replay ends soon after (see waitFor) rather than waiting for as many bytes as the original
  // answers had.
  const last = client.at(-1)!;
  let lastKey: string | undefined;
  let answered = false;
  let sent = 0;
  const replayed: FrameRow[] = [];
  const unsubscribe = session.onRow((row) => {
    if (row.type !== 'frame' || row.conn !== conn) return;
    if (row.dir === serverDir) {
      replayed.push(row);
      if (lastKey !== undefined && row.pair?.role === 'response' && row.pair.key === lastKey) {
        answered = true;
        wake();
      }
    } else if (row.dir === clientDir) {
      // (rows come in the order the bytes went: the last client row is the last frame's)
      lastKey = row.pair?.role === 'request' ? row.pair.key : undefined;
      answered = false;
    }
  });
  const awaitingAnswer = () => sent === client.length && last.pair?.role === 'request';

  // Bytes the original server had sent before each client frame.
  const serverBytesBefore = client.map((c) => server.filter((s) => s.id < c.id).reduce((n, s) => n + s.len, 0));
  const serverTotal = server.reduce((n, s) => n + s.len, 0);

  const out = await openTarget(opts.to);
  sink.event({ kind: 'open', conn, tap: `replay:${toText}`, to: toText, message: `replay of connection ${opts.conn} from ${opts.file}` });
  if (out.process) sink.event({ kind: 'spawn', pid: out.process.pid, command: out.process.command });
  let received = 0;
  let closed = false;
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((w) => w());
  const input = out.socket ?? out.output;
  if (input) {
    input.on('data', (d: Buffer) => {
      received += d.length;
      lastData = performance.now();
      sink.chunk(conn, serverDir, d);
      // (the answer to the last request is looked for in the decoded rows)
      if (awaitingAnswer()) void session.decodeQueued().then(wake);
      wake();
    });
    input.on('end', () => {
      sink.event({ kind: 'half-close', conn, dir: serverDir });
    });
    input.on('close', () => {
      closed = true;
      wake();
    });
    input.on('error', (e: Error) => notes.push(`connection error: ${e.message}`));
  }
  out.errors?.on('data', (d: Buffer) => sink.chunk(conn, 'stderr', d));
  // Once the last request is answered, what the server sends after its answer (a language
  // server's notifications) is waited for until it has been quiet for ANSWERED_QUIET_MS.
  let lastData = 0;
  const waitFor = (bytes: number) =>
    new Promise<boolean>((resolve) => {
      const quiet = () => answered && awaitingAnswer() && performance.now() - lastData >= ANSWERED_QUIET_MS;
      if (received >= bytes || closed || !input) return resolve(received >= bytes);
      const timer = setTimeout(() => done(false), timeoutMs);
      let settle: NodeJS.Timeout | undefined;
      const check = () => {
        if (received >= bytes || quiet()) done(true);
        else if (closed) done(false);
        else if (answered && awaitingAnswer()) {
          clearTimeout(settle);
          settle = setTimeout(check, Math.max(1, ANSWERED_QUIET_MS - (performance.now() - lastData)));
        }
      };
      const done = (ok: boolean) => {
        clearTimeout(timer);
        clearTimeout(settle);
        waiters.delete(check);
        resolve(ok);
      };
      waiters.add(check);
      check();
    });

  let prevMono = client[0]!.mono;
  for (let i = 0; i < client.length; i++) {
    const frame = client[i]!;
    if (opts.pace === 'original') {
      const gap = Math.max(0, (frame.mono - prevMono) / 1000);
      prevMono = frame.mono;
      if (gap > 0) await new Promise((r) => setTimeout(r, Math.min(gap, 60_000)));
    } else if (input && !(await waitFor(serverBytesBefore[i]!))) {
      if (closed) {
        notes.push(`the server closed the connection before frame ${i + 1} of ${client.length} was sent`);
        break;
      }
      notes.push(`timed out after ${timeoutMs} ms waiting for the server before frame ${i + 1}; sent it anyway`);
    }
    if (closed) {
      notes.push(`the server closed the connection before frame ${i + 1} of ${client.length} was sent`);
      break;
    }
    let bytes = opts.edits?.get(frame.id);
    if (!bytes) {
      const own = ownInitialize(frame);
      if (own)
        notes.push(
          `frame #${frame.id} (initialize) sent with processId ${process.pid} (this process) in place of the captured client's ${String((frame.decoded as { params: { processId: number } }).params.processId)}`,
        );
      bytes = own ?? frame.data;
    }
    try {
      await out.write(bytes);
    } catch (e) {
      notes.push(`frame ${i + 1} of ${client.length} could not be sent: ${(e as Error).message}`);
      break;
    }
    sent++;
    sink.chunk(conn, clientDir, bytes);
  }
  if (awaitingAnswer()) await session.decodeQueued();
  if (input && !closed) {
    if (!(await waitFor(serverTotal)) && !closed) notes.push(`timed out after ${timeoutMs} ms waiting for the server's last responses`);
  }
  sink.event({ kind: 'half-close', conn, dir: clientDir });
  const exit = await out.close();
  sink.event({ kind: 'close', conn, reason: 'eof' });
  if (out.process && exit) sink.event({ kind: 'exit', pid: out.process.pid, code: exit.code, signal: exit.signal, ...(exit.bySignal ? { bySignal: true } : {}) } as EventBody);
  await new Promise((r) => setImmediate(r));
  // Live decoding may be pacing itself behind the traffic: decode what is queued now, so every
  // replayed response is a row before the comparison.
  await session.decodeQueued();
  unsubscribe();

  const comparisons = compareFrames(server, replayed);
  return { conn, sent, total: client.length, comparisons, ok: comparisons.every((c) => c.result === 'same') && sent === client.length, notes };
}

/**
 * Pair each original server frame with its replayed counterpart — by request/response pairing key
 * where the decoder gives one (replies may come back in another order), else by position — and
 * compare them. Frames whose bytes differ but whose decoded values are equal (a Go map encoded in
 * another iteration order) count as the same, with a note.
 */
export function compareFrames(original: FrameRow[], replayed: FrameRow[]): Comparison[] {
  const byKey = new Map<string, FrameRow>();
  for (const r of replayed) if (r.pair?.role === 'response' && !byKey.has(r.pair.key)) byKey.set(r.pair.key, r);
  const used = new Set<FrameRow>();
  const matched = original.map((a) => {
    const b = a.pair?.role === 'response' ? byKey.get(a.pair.key) : undefined;
    if (b) used.add(b);
    return b;
  });
  const rest = replayed.filter((r) => !used.has(r));
  let next = 0;
  const out: Comparison[] = original.map((a, i) => {
    const b = matched[i] ?? (a.pair?.role === 'response' && byKey.size ? undefined : rest[next++]);
    if (!b) return { index: i, result: 'missing', original: a };
    const at = firstDifference(a.data, b.data);
    if (at < 0) return { index: i, result: 'same', original: a, replayed: b };
    if (sameValue(a, b)) return { index: i, result: 'same', original: a, replayed: b, note: 'same decoded value; bytes differ' };
    return { index: i, result: 'differs', at, original: a, replayed: b };
  });
  for (; next < rest.length; next++) out.push({ index: out.length, result: 'extra', replayed: rest[next] });
  return out;
}

function sameValue(a: FrameRow, b: FrameRow): boolean {
  if (a.error || b.error || a.decoded == null || b.decoded == null) return false;
  return toJson(a.decoded) === toJson(b.decoded);
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** It did not exit on its own once its stdin closed: IPC Tap's signal ended it. */
  bySignal: boolean;
}

export interface Target {
  socket?: net.Socket;
  /** A process target's stdout (what it answers) and stderr. */
  output?: Readable;
  errors?: Readable;
  process?: { pid: number; command: string[] };
  write(data: Uint8Array): Promise<void>;
  /** Closes the connection; a process's stdin is closed and the process reaped (SIGTERM, then
   *  SIGKILL, if it does not exit on its own within a second). */
  close(): Promise<ProcessExit | void>;
}

/** A fresh process for `--to exec`: its stdin written to, its stdout and stderr read. */
async function openProcess(command: string[]): Promise<Target> {
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new UserError(
          e.code === 'ENOENT'
            ? `--to exec: no such program: ${file}`
            : e.code === 'EACCES'
              ? `--to exec: cannot run ${file}: permission denied`
              : `--to exec: cannot run ${file}: ${e.message}`,
        ),
      ),
    );
  });
  let exit: ProcessExit | undefined;
  let bySignal = false;
  const exited = new Promise<ProcessExit>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal, bySignal };
      resolve(exit);
    }),
  );
  // (a process that exited leaves its stdin broken: the write's error is reported by the reader's close)
  child.stdin.on('error', () => {});
  const within = (ms: number) => Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);
  return {
    output: child.stdout,
    errors: child.stderr,
    process: { pid: child.pid!, command },
    write: (d) =>
      new Promise((res, rej) => {
        if (exit || child.stdin.destroyed) return rej(new UserError(`the server process exited (${exit?.signal ?? `code ${exit?.code ?? '?'}`}) before everything was sent`));
        child.stdin.write(d, (e) => (e ? rej(e) : res()));
      }),
    close: async () => {
      child.stdin.end();
      if (exit) return exit;
      if (await within(1000)) return exit;
      bySignal = true;
      child.kill('SIGTERM');
      if (await within(2000)) return exit;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

export async function openTarget(to: ReplayTarget): Promise<Target> {
  if (to.kind === 'exec') return openProcess(to.command);
  if (to.kind === 'fifo') {
    let fd: number;
    const notFifo = (): UserError => new UserError(`--to fifo:${to.path}: not a FIFO (named pipe); replay writes only into a FIFO someone reads`);
    try {
      // (checked before opening: opening a regular file for writing would write into it)
      if (!statSync(to.path).isFIFO()) throw notFifo();
      fd = openSync(to.path, fsc.O_WRONLY | fsc.O_NONBLOCK);
      if (!fstatSync(fd).isFIFO()) {
        closeSync(fd);
        throw notFifo();
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(code === 'ENXIO' ? `nobody is reading the FIFO ${to.path}` : `cannot open FIFO ${to.path}: ${(e as Error).message}`);
    }
    const sock = new net.Socket({ fd, readable: false, writable: true });
    return {
      write: (d) => new Promise((res, rej) => sock.write(d, (e) => (e ? rej(e) : res()))),
      close: () =>
        new Promise((res) => {
          sock.end(() => res());
          setTimeout(() => {
            sock.destroy();
            try {
              closeSync(fd);
            } catch {
              /* closed */
            }
            res();
          }, 1000).unref();
        }),
    };
  }
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = to.kind === 'unix' ? net.connect(nodeSocketPath(to.path)) : net.connect(to.port, to.host);
    s.once('connect', () => resolve(s));
    s.once('error', (e: NodeJS.ErrnoException) => {
      const where = to.kind === 'unix' ? to.path : `${to.host}:${to.port}`;
      reject(new UserError(e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? `nothing is listening at ${where}` : `cannot connect to ${where}: ${e.message}`));
    });
  });
  socket.setNoDelay?.(true);
  return {
    socket,
    write: (d) => new Promise((res, rej) => socket.write(d, (e) => (e ? rej(e) : res()))),
    close: () =>
      new Promise((res) => {
        if (socket.destroyed) return res();
        socket.once('close', () => res());
        socket.end();
        setTimeout(() => {
          socket.destroy();
          res();
        }, 1000).unref();
      }),
  };
}
