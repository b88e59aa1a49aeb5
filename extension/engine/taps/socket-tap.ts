// What the unix and tcp taps share: a listener (allowHalfOpen, pauseOnConnect) whose accepted
// connections are each forwarded to a fresh connection to the target through a Relay.
import net from 'node:net';
import type { TapSpec, Tap, TapKind, TapSink } from './tap';
import { Relay } from './forward';
import { socketPeers } from './peers';
import { adoptWithOnread, MAX_POOLED, READ_SIZE, ReadPort } from './read-pool';
import { FdPressure } from './fd-limit';

export abstract class SocketTap implements Tap {
  abstract readonly kind: TapKind;
  readonly spec: string;
  address: string | undefined;
  protected server: net.Server | undefined;
  private readonly relays = new Set<Relay>();
  /** Relays reading into their own buffers (at most MAX_POOLED). */
  private readonly pooled = new Set<Relay>();
  private stopping: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  protected stopped = false;
  /** Aborted by stop(): ends a start() that is still waiting for its path. */
  protected readonly stopSignal = new AbortController();
  private readonly fds = new FdPressure((message) => this.event({ kind: 'error', tap: this.spec, message }));

  constructor(
    spec: TapSpec,
    protected readonly sink: TapSink,
  ) {
    this.spec = spec.spec;
  }

  start(signal?: AbortSignal): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`tap ${this.spec} is stopped`));
    if (!this.starting) {
      const signals = signal ? [signal, this.stopSignal.signal] : [this.stopSignal.signal];
      this.starting = this.doStart(AbortSignal.any(signals));
    }
    return this.starting;
  }

  /** Listen (and take over). `signal` is aborted by the caller or by stop(). */
  protected abstract doStart(signal: AbortSignal): Promise<void>;
  /** A new connection to the target (allowHalfOpen), reading through `onread` when given. */
  protected abstract connectTarget(onread?: net.OnReadOpts): net.Socket;
  /** The target as shown in 'open' events. */
  protected abstract targetText(): string;
  /** The accepted client as shown in 'open' events. */
  protected abstract clientText(sock: net.Socket): string;
  /** Undo what start() changed on disk (after the listener stops accepting). */
  protected cleanup(): void {}

  protected createServer(): net.Server {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (c) => this.accept(c));
    server.on('error', (err) => {
      if (this.address !== undefined) this.event({ kind: 'error', tap: this.spec, message: `listener error: ${err.message}` });
    });
    return server;
  }

  /** Listen, resolving once listening and rejecting with the listen error. */
  protected listen(server: net.Server, opts: net.ListenOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        server.removeListener('listening', onListening);
        reject(err);
      };
      const onListening = (): void => {
        server.removeListener('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(opts);
    });
  }

  private accept(accepted: net.Socket): void {
    if (this.stopped) {
      accepted.destroy();
      return;
    }
    const conn = this.sink.newConn();
    let client = accepted;
    let reads: { client: ReadPort; server: ReadPort } | undefined;
    if (this.pooled.size < MAX_POOLED && (this.kind === 'unix' || this.kind === 'tcp')) {
      const size = READ_SIZE[this.kind];
      const cport = new ReadPort(size);
      const adopted = adoptWithOnread(accepted, cport.onread);
      if (adopted) {
        client = adopted;
        reads = { client: cport, server: new ReadPort(size) };
      }
    }
    const server = this.connectTarget(reads?.server.onread);
    const relay = new Relay({
      sink: this.sink,
      conn,
      tap: this.spec,
      from: this.clientText(client),
      to: this.targetText(),
      client,
      server,
      connecting: true,
      lookupPeers: (_side, s) => socketPeers(s),
      reads,
      onClose: (r) => {
        this.relays.delete(r);
        this.pooled.delete(r);
      },
    });
    this.relays.add(relay);
    if (reads) this.pooled.add(relay);
    this.fds.accepted(this.relays.size);
  }

  stop(): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop();
    return this.stopping;
  }

  /** Restore first (new clients reach the server at once), then stop accepting and close. */
  protected async doStop(): Promise<void> {
    this.stopped = true;
    this.stopSignal.abort();
    await this.starting?.catch(() => undefined); // a start in progress finishes or fails first
    const server = this.server;
    const wasReady = this.address !== undefined;
    await this.beforeClose();
    if (server) {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const r of [...this.relays]) r.stop();
      await closed;
    }
    this.cleanup();
    if (wasReady) this.event({ kind: 'tap-stopped', tap: this.spec });
  }

  /** Runs before the listener closes (the takeover puts the original back here). */
  protected async beforeClose(): Promise<void> {}

  protected event(ev: Parameters<TapSink['event']>[0]): void {
    try {
      this.sink.event(ev);
    } catch {
      // the sink's problem
    }
  }
}
