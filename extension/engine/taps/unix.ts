// Unix socket taps.
//
// Takeover (unix:PATH): wait until a server listens at PATH; make a private directory beside it
// (ours, 0700, unpredictable name: see PrivateDir) and listen there with PATH's mode (and owner,
// when allowed); record the takeover in the journal; hard-link the original into the private
// directory and rename our socket onto PATH. rename() replaces PATH atomically, so no client ever
// finds PATH missing. (When hard links are refused, the original is renamed instead, leaving PATH
// absent for the microseconds between two renames.) Each accepted connection is forwarded to the
// original through our descriptor on the private directory, never by a name another user could
// change. stop() renames the original back over our socket first (new clients reach the server at
// once), then closes the listener and the open connections.
//
// Proxy (unix:LISTEN=TARGET): listen at LISTEN, forward to TARGET. A stale socket file at LISTEN
// (nobody accepting) is replaced; a live one is an error.
import net from 'node:net';
import { chmodSync, lstatSync, renameSync, unlinkSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../util/errors';
import { readUnixTable } from '../process/procfs';
import { SocketTap } from './socket-tap';
import type { TapSink, TapSpec } from './tap';
import { journaledPrivateDir, swapIn, type JournalHandle } from './journal';
import { fits, NEW_NAME, nodeSocketPath, ORIG_NAME, PrivateDir } from './paths';
import { canConnect } from './probe';

export { canConnect };
import { DEFAULT_WAIT_MS, waitUntil } from './wait';

export interface TakeoverOptions {
  /** How long start() waits for the path to appear (ms). Default 60 s; Infinity waits until aborted. */
  waitMs?: number;
}

/** A socket file nobody accepts on for this long is said to be stale. */
const STALE_AFTER_MS = 1000;

type UnixTakeoverSpec = Extract<TapSpec, { kind: 'unix'; mode: 'takeover' }>;
type UnixProxySpec = Extract<TapSpec, { kind: 'unix'; mode: 'proxy' }>;

/** Is a server listening at PATH? Looks in /proc/net/unix first so the server is not disturbed by a
 *  probe connection; probes only when the table cannot tell (relative bind paths, no /proc). */
async function isListening(path: string): Promise<boolean> {
  const table = await readUnixTable();
  if (table.some((e) => e.state === 'listening' && e.path === path)) return true;
  const base = path.slice(path.lastIndexOf('/') + 1);
  const unsure =
    table.length === 0 || table.some((e) => e.state === 'listening' && e.path !== undefined && !e.path.startsWith('/') && (e.path === base || e.path.endsWith(`/${base}`)));
  return unsure ? canConnect(path) : false;
}

function lstatQuiet(p: string): Stats | undefined {
  return lstatSync(p, { throwIfNoEntry: false });
}

export class UnixTakeoverTap extends SocketTap {
  readonly kind = 'unix' as const;
  private readonly path: string;
  private renamedTo = '';
  private priv: PrivateDir | undefined;
  private journal: JournalHandle | undefined;

  constructor(
    spec: UnixTakeoverSpec,
    sink: TapSink,
    private readonly opts: TakeoverOptions = {},
  ) {
    super(spec, sink);
    this.path = spec.path;
  }

  protected async doStart(signal: AbortSignal): Promise<void> {
    const path = this.path;
    if (!lstatQuiet(dirname(path))) throw new UserError(`cannot take over ${path}: directory ${dirname(path)} does not exist`);
    // A socket file nobody accepts on for a second (its server exited without removing it; a
    // server starting binds and listens at once) is said by name: the tap waits for a server to
    // listen there, it does not take over a corpse.
    let staleSince: { at: number; ino: number } | undefined;
    let staleTold = false;
    await waitUntil(
      async () => {
        const st = lstatQuiet(path);
        if (!st) {
          staleSince = undefined;
          return false;
        }
        if (!st.isSocket()) throw new UserError(`cannot take over ${path}: it is not a Unix socket`);
        if (await isListening(path)) return true;
        if (staleSince?.ino !== st.ino) staleSince = { at: Date.now(), ino: st.ino };
        if (!staleTold && Date.now() - staleSince.at >= STALE_AFTER_MS) {
          staleTold = true;
          this.event({
            kind: 'note',
            tap: this.spec,
            path,
            message: `${path} is a socket file nobody accepts on (left by a server that exited?): waiting for a server to listen there`,
          });
        }
        return false;
      },
      {
        signal,
        timeoutMs: this.opts.waitMs ?? DEFAULT_WAIT_MS,
        onWaiting: () => this.event({ kind: 'note', tap: this.spec, path, message: `waiting for a server to listen at ${path}` }),
        timeoutMessage: () =>
          `no server listens at ${path}${staleSince ? ' (a socket file nobody accepts on is there: remove it or restart its server)' : ''} (waited ${Math.round((this.opts.waitMs ?? DEFAULT_WAIT_MS) / 1000)} s)`,
      },
    );
    if (this.stopped) throw new UserError(`tap ${this.spec} was stopped before it started`);
    const orig = lstatSync(path);
    if (!fits(path)) throw new UserError(`cannot take over ${path}: the path is too long for a Unix socket`);
    const { priv, journal } = journaledPrivateDir(path, 'unix');
    this.journal = journal;
    this.priv = priv;
    this.renamedTo = priv.shown(ORIG_NAME);
    const tmp = priv.ref(NEW_NAME);

    const server = this.createServer();
    try {
      await this.listen(server, { path: tmp });
    } catch (e) {
      const r = this.journal.restore();
      this.journal = undefined;
      if (!r) priv.remove();
      else priv.close();
      this.priv = undefined;
      throw new UserError(`cannot take over ${path}: ${(e as Error).message}`);
    }
    this.server = server;
    try {
      if (signal.aborted) throw new UserError(`tap ${this.spec} was stopped before it started`);
      chmodSync(tmp, orig.mode & 0o7777);
      swapIn(path, orig, priv, this.journal, (st) => st.isSocket(), 'it disappeared (did the server exit?)');
    } catch (e) {
      this.stopped = true;
      const r = this.journal?.restore();
      this.journal = undefined;
      await new Promise<void>((r) => server.close(() => r()));
      if (!r) priv.remove();
      else priv.close();
      this.priv = undefined;
      throw e instanceof UserError ? e : new UserError(`cannot take over ${path}: ${(e as Error).message}`);
    }
    this.address = path;
    this.event({
      kind: 'tap-ready',
      tap: this.spec,
      address: path,
      message: `took over ${path}; the server's socket is now ${this.renamedTo} until the tap stops`,
    });
    this.watchPath(path);
  }

  private pathWatch: NodeJS.Timeout | undefined;
  /** A retake in progress: the tap's stop waits for it, so its listener is closed (and the name it
   *  bound unlinked) through the private directory's descriptor before that descriptor closes. */
  private retaking: Promise<void> | undefined;

  /** A server restarted while the tap runs binds its path again (unlink, then bind), replacing our
   *  socket. Take it over again once it listens (see retake); when that is not safe, say once that
   *  new clients bypass the tap, with what to do. */
  private watchPath(path: string): void {
    if (!this.journal?.entry.tapIno) return;
    let told = '';
    let busy = false;
    this.pathWatch = setInterval(() => {
      const ours = this.journal?.entry;
      if (busy || this.stopped || !ours) return;
      const cur = lstatQuiet(path);
      if (cur && cur.ino === ours.tapIno && cur.dev === ours.tapDev) return;
      busy = true;
      this.retaking = this.retake(path, cur)
        .catch((e: Error) => `${path} was replaced and could not be taken over again (${e.message}): new connections reach it directly and are not captured`)
        .then((problem) => {
          if (problem && problem !== told && !this.stopped) this.event({ kind: 'error', tap: this.spec, path, message: problem });
          told = problem ?? '';
        })
        .finally(() => {
          busy = false;
          this.retaking = undefined;
        });
    }, 500);
    this.pathWatch.unref();
  }

  /**
   * Take `path` over again after the server restarted and bound it: the same steps as the first
   * takeover, in the same private directory and journal entry (so a crash at any moment restores
   * the right socket). The dead server's socket in the private directory is removed first; a
   * listener of ours bound there again is swapped in, and new clients are forwarded to the new
   * server. Returns what stops it (undefined: done, or waiting for the new server to listen).
   */
  private async retake(path: string, cur: Stats | undefined): Promise<string | undefined> {
    if (!cur) return `${path} was removed: new clients cannot connect until a server binds it again`;
    const bypassed = `${path} was replaced (the server restarted and bound it again?): new connections reach it directly and are not captured; start the tap again to capture them`;
    if (!cur.isSocket()) return bypassed;
    if (!(await isListening(path))) return undefined; // bound, not listening yet: look again
    const priv = this.priv;
    const journal = this.journal;
    if (!priv || !journal || this.stopped) return undefined;
    // The old server still accepting means someone else bound the path: leave both alone.
    if (lstatQuiet(priv.ref(ORIG_NAME)) && (await canConnect(priv.ref(ORIG_NAME)))) return bypassed;
    if (this.stopped || this.journal !== journal) return undefined;
    for (const n of [ORIG_NAME, NEW_NAME]) {
      try {
        unlinkSync(priv.ref(n));
      } catch {
        // not there
      }
    }
    const server = this.createServer();
    await this.listen(server, { path: priv.ref(NEW_NAME) });
    try {
      if (this.stopped || this.journal !== journal) throw new UserError('the tap stopped');
      chmodSync(priv.ref(NEW_NAME), cur.mode & 0o7777);
      swapIn(path, cur, priv, journal, (st) => st.isSocket(), 'it disappeared');
    } catch (e) {
      await new Promise<void>((r) => server.close(() => r())); // (unlinks NEW_NAME)
      const moved = lstatQuiet(priv.ref(ORIG_NAME));
      if (moved) {
        const at = lstatQuiet(path);
        if (at && at.ino === moved.ino && at.dev === moved.dev) unlinkSync(priv.ref(ORIG_NAME));
        else if (!at) renameSync(priv.ref(ORIG_NAME), path); // links refused: it was renamed
      }
      if (this.stopped) return undefined;
      throw e;
    }
    const old = this.server;
    this.server = server;
    old?.close(); // its connections go on; the name it bound (NEW_NAME) was renamed away
    this.event({ kind: 'note', tap: this.spec, path, message: `the server restarted and bound ${path} again; taken over again` });
    return undefined;
  }

  protected connectTarget(onread?: net.OnReadOpts): net.Socket {
    // Through our descriptor on the private directory: never by a name someone else can change.
    const path = this.priv ? this.priv.ref(ORIG_NAME) : '\0ipctap-no-target';
    return net.createConnection({ path, allowHalfOpen: true, onread });
  }
  protected targetText(): string {
    return `unix:${this.renamedTo}`;
  }
  protected clientText(): string {
    return `unix:${this.path}`;
  }

  /** After the listener closed (libuv unlinks the name it bound, through our descriptor). */
  protected override cleanup(): void {
    this.priv?.close();
    this.priv = undefined;
  }

  protected override async beforeClose(): Promise<void> {
    clearInterval(this.pathWatch);
    // A retake under way sees the tap stopped once its listener is bound, closes that listener
    // and puts back what it moved, while the private directory is still open.
    await this.retaking;
    const j = this.journal;
    this.journal = undefined;
    if (!j) return;
    const r = await j.restoreChecked();
    if (!r) return; // restored by someone else already (exit handler, ipctap restore)
    if (r.action === 'restored') this.event({ kind: 'restored', tap: this.spec, path: r.path, from: r.renamedTo, message: r.message });
    else if (r.action === 'failed') this.event({ kind: 'error', tap: this.spec, path: r.path, message: r.message });
    else this.event({ kind: 'note', tap: this.spec, path: r.path, message: r.message });
  }
}

export class UnixProxyTap extends SocketTap {
  readonly kind = 'unix' as const;

  constructor(
    private readonly s: UnixProxySpec,
    sink: TapSink,
  ) {
    super(s, sink);
  }

  protected async doStart(): Promise<void> {
    const { listen, target } = this.s;
    if (!listen.startsWith('@')) {
      if (!lstatQuiet(dirname(listen))) throw new UserError(`cannot listen at ${listen}: directory ${dirname(listen)} does not exist`);
      if (!fits(listen)) throw new UserError(`cannot listen at ${listen}: the path is too long for a Unix socket`);
      const st = lstatQuiet(listen);
      if (st) {
        if (!st.isSocket()) throw new UserError(`cannot listen at ${listen}: a file that is not a socket is there`);
        if (await canConnect(listen)) throw new UserError(`cannot listen at ${listen}: a server is already listening there`);
        unlinkSync(listen); // stale socket file nobody accepts on
      }
    }
    if (!target.startsWith('@')) {
      const t = lstatQuiet(target);
      if (!t) this.event({ kind: 'note', tap: this.spec, path: target, message: `${target} does not exist yet; connections fail until a server listens there` });
      else if (t.isSocket() && !(await isListening(target)))
        this.event({
          kind: 'note',
          tap: this.spec,
          path: target,
          message: `${target} is a socket file nobody accepts on (left by a server that exited?); connections fail until a server listens there`,
        });
    }
    const server = this.createServer();
    try {
      await this.listen(server, { path: nodeSocketPath(listen) });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(code === 'EADDRINUSE' ? `cannot listen at ${listen}: it is already in use` : `cannot listen at ${listen}: ${(e as Error).message}`);
    }
    this.server = server;
    this.address = listen;
    this.event({ kind: 'tap-ready', tap: this.spec, address: listen, message: `listening at ${listen}, forwarding to ${target}` });
  }

  protected connectTarget(onread?: net.OnReadOpts): net.Socket {
    return net.createConnection({ path: nodeSocketPath(this.s.target), allowHalfOpen: true, onread });
  }
  protected targetText(): string {
    return `unix:${this.s.target}`;
  }
  protected clientText(): string {
    return `unix:${this.s.listen}`;
  }
}
