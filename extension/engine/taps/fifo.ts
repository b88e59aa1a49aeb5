// FIFO taps. Direction c2s = what the writer writes, on its way to the reader.
//
// Takeover (fifo:PATH): wait until PATH is a FIFO; make our own FIFO (same mode) in a private
// directory beside it (see PrivateDir); journal; hard-link the original into that directory and
// rename ours onto PATH (atomic; rename-then-rename when links are refused). The reader keeps the
// original open; we open it through our descriptor on the private directory, never by a name
// another user could change.
// Relay (fifo:LISTEN=TARGET): LISTEN is created as a FIFO unless one is there (and removed at stop
// if we created it); TARGET must be a FIFO (waited for like a takeover).
//
// Semantics we chose, so that writer and reader see what they would see without the tap:
// - A "connection" is one writer session: from the first bytes (or EOF) after the FIFO has a
//   writer until every writer has closed it. Each session gets a new conn id.
// - We keep a read end open on PATH/LISTEN, and open the reader's FIFO for writing only when a
//   session's first bytes arrive (polling O_WRONLY|O_NONBLOCK, which fails with ENXIO while it has
//   no reader; the bytes wait, and the writer blocks once the pipe is full).
// - When the writers close (EOF on our side) we close our write end: the reader sees EOF too. The
//   next session reopens both ends, whether the reader keeps its FIFO open or reopens it.
// - When the reader goes away (EPIPE on our write), the session closes with reason 'reset' and we
//   close our read end; we reopen it only once the reader's FIFO has a reader again, so a writer
//   that goes on writing gets EPIPE/SIGPIPE as it would without the tap.
// - A writer that opens and closes without writing is an empty session (open, half-close, close)
//   and the reader, if there, sees EOF as well.
// - Limitation of a takeover: a reader that reopens PATH (e.g. after every EOF) opens our FIFO,
//   not the original, and competes with us for the writer's bytes. We say so in a 'note' when we
//   can tell, and release such a reader at stop. The relay form has no such problem.
// - Reading uses net.Socket on the non-blocking fd (faster than fs streams, see DESIGN.md); writes
//   go through a net.Socket too, so backpressure is the Relay's pause/drain.
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, fstatSync, lstatSync, openSync, unlinkSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../util/errors';
import type { Tap, TapSink, TapSpec } from './tap';
import { Relay } from './forward';
import { journaledPrivateDir, swapIn, type JournalHandle } from './journal';
import { NEW_NAME, ORIG_NAME, PrivateDir } from './paths';
import { fifoHolders } from './peers';
import { fdMode, findHolders } from '../process/procfs';
import { DEFAULT_WAIT_MS, sleep, waitUntil } from './wait';
import type { TakeoverOptions } from './unix';

type FifoSpec = Extract<TapSpec, { kind: 'fifo' }>;

function lstatQuiet(p: string): Stats | undefined {
  return lstatSync(p, { throwIfNoEntry: false });
}

function mkfifo(path: string, mode: number, dirFd?: number): void {
  try {
    // With dirFd, mkfifo gets our private directory as its descriptor 3 and `path` is relative to it.
    const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'ignore', 'pipe'];
    if (dirFd !== undefined) stdio.push(dirFd);
    execFileSync('mkfifo', ['-m', (mode & 0o7777).toString(8), dirFd !== undefined ? `/proc/self/fd/3/${path}` : path], { stdio });
  } catch (e) {
    const msg = (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message;
    throw new UserError(`cannot create FIFO ${path}: ${msg}`);
  }
}

/** A FIFO named NAME inside our private directory (through the descriptor when /proc is there). */
function mkfifoIn(priv: PrivateDir, name: string, mode: number): void {
  if (priv.ref(name).startsWith('/proc/')) mkfifo(name, mode, priv.fd);
  else mkfifo(priv.ref(name), mode);
}

export class FifoTap implements Tap {
  readonly kind = 'fifo' as const;
  readonly spec: string;
  address: string | undefined;
  /** Where writers write (PATH or LISTEN). */
  private readonly listenPath: string;
  /** The FIFO the reader holds (the renamed original, or TARGET). */
  private targetPath: string;
  /** How we open it: through our descriptor on the private directory during a takeover. */
  private targetRef: string;
  private priv: PrivateDir | undefined;
  private journal: JournalHandle | undefined;
  private createdListen = false;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private starting: Promise<void> | undefined;
  private relay: Relay | undefined;
  private pending: net.Socket[] = [];
  private loopDone: Promise<void> | undefined;
  private warnedReader = false;

  constructor(
    private readonly s: FifoSpec,
    private readonly sink: TapSink,
    private readonly opts: TakeoverOptions = {},
  ) {
    this.spec = s.spec;
    this.listenPath = s.mode === 'takeover' ? s.path : s.listen;
    this.targetPath = s.mode === 'takeover' ? s.path : s.target;
    this.targetRef = this.targetPath;
  }

  start(signal?: AbortSignal): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`tap ${this.spec} is stopped`));
    if (!this.starting) this.starting = this.doStart(AbortSignal.any(signal ? [signal, this.abort.signal] : [this.abort.signal]));
    return this.starting;
  }

  private async doStart(signal: AbortSignal): Promise<void> {
    const waitFor = this.s.mode === 'takeover' ? this.s.path : this.s.target;
    if (!lstatQuiet(dirname(waitFor))) throw new UserError(`no FIFO at ${waitFor}: directory ${dirname(waitFor)} does not exist`);
    const waitMs = this.opts.waitMs ?? DEFAULT_WAIT_MS;
    await waitUntil(
      () => {
        const st = lstatQuiet(waitFor);
        if (st && !st.isFIFO()) throw new UserError(`${waitFor} is not a FIFO (named pipe)`);
        return st !== undefined;
      },
      {
        signal,
        timeoutMs: waitMs,
        onWaiting: () => this.event({ kind: 'note', tap: this.spec, message: `waiting for the FIFO ${waitFor} to appear` }),
        timeoutMessage: () => `no FIFO at ${waitFor} (waited ${Math.round(waitMs / 1000)} s)`,
      },
    );
    if (this.stopped) throw new UserError(`tap ${this.spec} was stopped before it started`);
    if (this.s.mode === 'takeover') this.takeOver(this.s.path);
    else this.prepareListen(this.s.listen);
    this.address = this.listenPath;
    this.event({
      kind: 'tap-ready',
      tap: this.spec,
      address: this.listenPath,
      message:
        this.s.mode === 'takeover'
          ? `took over the FIFO ${this.listenPath}; the reader's FIFO is now ${this.targetPath} until the tap stops`
          : `relaying what is written to ${this.listenPath} into ${this.targetPath}`,
    });
    this.loopDone = this.loop().catch((e: Error) => {
      if (!this.stopped) this.event({ kind: 'error', tap: this.spec, message: `FIFO relay stopped: ${e.message}` });
    });
    if (this.s.mode === 'takeover') this.watchPath(this.s.path);
  }

  private pathWatch: NodeJS.Timeout | undefined;

  /** A reader that makes its FIFO again (unlink, mkfifo, open) while the tap runs replaces ours at
   *  the path: new writers then reach it directly. That is not taken over again: the relay reads
   *  from our FIFO, whose name the reader removed, and does not move to a new one. Say so, once,
   *  with what to do. */
  private watchPath(path: string): void {
    const ours = this.journal?.entry;
    if (!ours?.tapIno) return;
    this.pathWatch = setInterval(() => {
      const cur = lstatQuiet(path);
      if (this.stopped || (cur && cur.ino === ours.tapIno && cur.dev === ours.tapDev)) return;
      clearInterval(this.pathWatch);
      this.event({
        kind: 'error',
        tap: this.spec,
        path,
        message: cur
          ? `${path} was replaced (the reader made its FIFO again?): new writers reach it directly and are not captured; start the tap again to capture them`
          : `${path} was removed: new writers cannot open it; start the reader again, then the tap`,
      });
    }, 500);
    this.pathWatch.unref();
  }

  private takeOver(path: string): void {
    const orig = lstatSync(path);
    const { priv, journal } = journaledPrivateDir(path, 'fifo');
    this.journal = journal;
    try {
      mkfifoIn(priv, NEW_NAME, orig.mode);
      swapIn(path, orig, priv, this.journal, (st) => st.isFIFO(), 'it disappeared');
    } catch (e) {
      const r = this.journal?.restore();
      this.journal = undefined;
      if (!r) priv.remove();
      else priv.close();
      throw e instanceof UserError ? e : new UserError(`cannot take over ${path}: ${(e as Error).message}`);
    }
    this.priv = priv;
    this.targetPath = priv.shown(ORIG_NAME);
    this.targetRef = priv.ref(ORIG_NAME);
  }

  private prepareListen(listen: string): void {
    const st = lstatQuiet(listen);
    if (st) {
      if (!st.isFIFO()) throw new UserError(`cannot relay from ${listen}: a file that is not a FIFO is there`);
      return;
    }
    if (!lstatQuiet(dirname(listen))) throw new UserError(`cannot create FIFO ${listen}: directory ${dirname(listen)} does not exist`);
    mkfifo(listen, 0o600);
    this.createdListen = true;
  }

  /** One writer session after another until stopped. */
  private async loop(): Promise<void> {
    let wfd: number | undefined;
    // A second read end that never reads, held across sessions: between one session's EOF and
    // the next session's read end, a new writer may already have opened the FIFO and written;
    // were the FIFO left with no reader for a moment, the kernel would drop those bytes and the
    // writer would get EPIPE. (EOF depends on writers only, so this end does not delay it.)
    let keeper: number | undefined;
    const dropKeeper = (): void => {
      if (keeper !== undefined) closeSync(keeper);
      keeper = undefined;
    };
    while (!this.stopped) {
      const rfd = openSync(this.listenPath, constants.O_RDONLY | constants.O_NONBLOCK);
      keeper ??= openSync(this.listenPath, constants.O_RDONLY | constants.O_NONBLOCK);
      const rsock = new net.Socket({ fd: rfd, readable: true, writable: false, allowHalfOpen: true });
      rsock.on('error', () => undefined); // the relay reports errors once it owns the socket
      this.pending = [rsock];
      const first = await this.firstActivity(rsock);
      if (first === 'closed' || this.stopped) break;
      if (first === 'eof') {
        this.emptySession(wfd);
        wfd = undefined;
        continue;
      }
      if (wfd === undefined) wfd = await this.openWriter(true);
      if (wfd === undefined) break; // stopped while waiting for a reader
      const wsock = new net.Socket({ fd: wfd, readable: false, writable: true, allowHalfOpen: true });
      wfd = undefined;
      this.pending = [rsock, wsock];
      const reason = await new Promise<string | undefined>((done) => {
        this.relay = this.newRelay(rsock, wsock, (r) => done(r.closeReason));
        rsock.resume();
      });
      this.relay = undefined;
      this.pending = [];
      if (reason === 'reset' || reason === 'error') {
        // The reader went away. Hold no read end until the original has a reader again, so a
        // writer that goes on writing gets EPIPE as it would without the tap; the write end
        // opened when the reader is back serves the next session.
        dropKeeper();
        wfd = await this.openWriter(false);
        if (wfd === undefined) break;
      }
    }
    if (wfd !== undefined) closeSync(wfd);
    for (const s of this.pending) s.destroy();
    this.pending = [];
    dropKeeper();
  }

  /** Waits for a writer: its first bytes (put back for the relay), EOF, or our own close. */
  private firstActivity(rsock: net.Socket): Promise<'data' | 'eof' | 'closed'> {
    return new Promise((resolve) => {
      const off = (): void => {
        rsock.removeListener('data', onData);
        rsock.removeListener('end', onEnd);
        rsock.removeListener('close', onClose);
      };
      const onData = (b: Buffer): void => {
        off();
        rsock.pause();
        rsock.unshift(b);
        resolve('data');
      };
      const onEnd = (): void => {
        off();
        resolve('eof');
      };
      const onClose = (): void => {
        off();
        resolve('closed');
      };
      rsock.on('data', onData);
      rsock.once('end', onEnd);
      rsock.once('close', onClose);
    });
  }

  /** A writer opened and closed without writing: the reader sees EOF too (if it is there). */
  private emptySession(wfd: number | undefined): void {
    for (const s of this.pending) s.destroy();
    this.pending = [];
    let fd = wfd;
    if (fd === undefined) {
      try {
        fd = openSync(this.targetRef, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch {
        fd = undefined; // no reader: nobody to tell
        // A writer came and went, no bytes reached us, and nobody reads the original: most likely
        // a reader reopened PATH (our FIFO) and read the writer's bytes itself.
        this.warnReopeningReader(undefined);
      }
    }
    if (fd !== undefined) closeSync(fd);
    const conn = this.sink.newConn();
    this.event({ kind: 'open', conn, tap: this.spec, from: `fifo:${this.listenPath}`, to: `fifo:${this.targetPath}` });
    this.event({ kind: 'half-close', conn, tap: this.spec, dir: 'c2s' });
    this.event({ kind: 'close', conn, tap: this.spec, reason: 'eof' });
  }

  private newRelay(rsock: net.Socket, wsock: net.Socket, done: (r: Relay) => void): Relay {
    const listen = this.listenPath;
    const target = this.targetPath;
    const origPath = this.s.mode === 'takeover' ? this.s.path : undefined;
    return new Relay({
      sink: this.sink,
      conn: this.sink.newConn(),
      tap: this.spec,
      from: `fifo:${listen}`,
      to: `fifo:${target}`,
      client: rsock,
      server: wsock,
      oneWay: true,
      lookupPeers: (side) => (side === 'client' ? fifoHolders([listen]) : fifoHolders(origPath ? [target, `${origPath} (deleted)`] : [target])),
      onClose: done,
    });
  }

  /** Open the reader's FIFO for writing once it has a reader; undefined when stopped.
   *  `holding`: a writer's bytes are waiting for it (then a long wait gets explained). */
  private async openWriter(holding: boolean): Promise<number | undefined> {
    let told = false;
    const timers: NodeJS.Timeout[] = [];
    try {
      return await this.openWriterPolling(() => {
        if (told) return;
        told = true;
        this.event({ kind: 'note', tap: this.spec, message: `waiting for a reader to open ${this.s.mode === 'takeover' ? this.s.path : this.targetPath}` });
        if (this.s.mode === 'takeover' && holding) {
          timers.push(setTimeout(() => void this.checkReadersOfOurFifo(), 300));
          timers.push(setTimeout(() => this.warnReopeningReader(undefined), 1000));
        }
      });
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  }

  private async openWriterPolling(onWait: () => void): Promise<number | undefined> {
    while (!this.stopped) {
      try {
        return openSync(this.targetRef, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENXIO') throw e;
      }
      onWait();
      try {
        await sleep(25, this.abort.signal);
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  /**
   * A takeover relays only to a reader that keeps the original open. A reader that reopens the
   * path (e.g. after each EOF) gets our FIFO instead and competes with us for the writer's bytes.
   * Say so once, plainly, when a process other than us has our FIFO open for reading.
   */
  private async checkReadersOfOurFifo(): Promise<void> {
    if (this.warnedReader || this.stopped || this.s.mode !== 'takeover') return;
    const path = this.listenPath;
    const holders = (await findHolders([path], { budgetMs: 1000 })).get(path) ?? [];
    for (const h of holders) {
      if ((await fdMode(h.pid, h.fd)) === 'read') return this.warnReopeningReader(h.pid);
    }
  }

  private warnReopeningReader(pid: number | undefined): void {
    if (this.warnedReader || this.stopped || this.s.mode !== 'takeover') return;
    this.warnedReader = true;
    const path = this.listenPath;
    const who =
      pid === undefined ? `nobody reads the original FIFO (now ${this.targetPath}) although a writer used ${path}; probably the reader reopened the path and` : `process ${pid}`;
    this.event({
      kind: 'note',
      tap: this.spec,
      ...(pid === undefined ? {} : { pid }),
      message:
        `${who} opened ${path} for reading while the tap holds it. A reader that reopens the FIFO ` +
        `gets the tap's end, and what it reads there is not captured. Keep the reader's FIFO open across writers, ` +
        `or relay instead: fifo:NEW=${path} with the writer pointed at NEW.`,
    });
  }

  stop(): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pathWatch);
    this.abort.abort();
    await this.starting?.catch(() => undefined); // a start in progress finishes or fails first
    const wasReady = this.address !== undefined;
    this.relay?.stop();
    for (const s of this.pending) s.destroy();
    const j = this.journal;
    this.journal = undefined;
    // Readers that opened our FIFO (see checkReadersOfOurFifo) would wait on it forever once it
    // is gone: hold it open for writing across the restore, then close, so they see EOF and, if
    // they reopen the path, find the original.
    let release: number | undefined;
    if (j) {
      try {
        release = openSync(this.listenPath, constants.O_WRONLY | constants.O_NONBLOCK);
        if (fstatSync(release).ino !== j.entry.tapIno) {
          closeSync(release);
          release = undefined;
        }
      } catch {
        release = undefined; // ENXIO: no reader on our FIFO
      }
    }
    if (j) {
      const r = await j.restoreChecked();
      if (r?.action === 'restored') this.event({ kind: 'restored', tap: this.spec, path: r.path, from: r.renamedTo, message: r.message });
      else if (r?.action === 'failed') this.event({ kind: 'error', tap: this.spec, path: r.path, message: r.message });
      else if (r) this.event({ kind: 'note', tap: this.spec, path: r.path, message: r.message });
    }
    if (release !== undefined) closeSync(release);
    await this.loopDone;
    this.priv?.close();
    this.priv = undefined;
    if (this.createdListen) {
      try {
        unlinkSync(this.listenPath);
      } catch {
        // gone already
      }
    }
    if (wasReady) this.event({ kind: 'tap-stopped', tap: this.spec });
  }

  private event(ev: Parameters<TapSink['event']>[0]): void {
    try {
      this.sink.event(ev);
    } catch {
      // the sink's problem
    }
  }
}
