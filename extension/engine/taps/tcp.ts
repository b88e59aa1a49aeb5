// TCP proxy tap (tcp:PORT=HOST:PORT): listens on loopback only (127.x or ::1, as parsed), forwards
// each connection to the target. Port 0 picks a free port; `address` then tells which.
import net from 'node:net';
import { UserError } from '../util/errors';
import { SocketTap } from './socket-tap';
import type { TapSink, TapSpec } from './tap';

type TcpSpec = Extract<TapSpec, { kind: 'tcp' }>;

function hostText(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export class TcpTap extends SocketTap {
  readonly kind = 'tcp' as const;

  constructor(
    private readonly s: TcpSpec,
    sink: TapSink,
  ) {
    super(s, sink);
  }

  /** The port actually listened on (after start). */
  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  protected async doStart(): Promise<void> {
    const { listenHost, listenPort, targetHost, targetPort } = this.s;
    const server = this.createServer();
    try {
      await this.listen(server, { host: listenHost, port: listenPort, ipv6Only: listenHost.includes(':') });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new UserError(`port ${listenPort} is already in use`);
      if (code === 'EACCES') throw new UserError(`not allowed to listen on port ${listenPort} (ports below 1024 need privileges)`);
      if (code === 'EADDRNOTAVAIL') throw new UserError(`cannot listen on ${hostText(listenHost)}: that address is not available here`);
      throw new UserError(`cannot listen on ${hostText(listenHost)}:${listenPort}: ${(e as Error).message}`);
    }
    this.server = server;
    this.address = `${hostText(listenHost)}:${this.port}`;
    this.event({
      kind: 'tap-ready',
      tap: this.spec,
      address: this.address,
      message: `listening on ${this.address}, forwarding to ${hostText(targetHost)}:${targetPort}`,
    });
  }

  protected connectTarget(onread?: net.OnReadOpts): net.Socket {
    return net.createConnection({ host: this.s.targetHost, port: this.s.targetPort, allowHalfOpen: true, onread });
  }
  protected targetText(): string {
    return `${hostText(this.s.targetHost)}:${this.s.targetPort}`;
  }
  protected clientText(sock: net.Socket): string {
    return sock.remoteAddress ? `${hostText(sock.remoteAddress)}:${sock.remotePort}` : 'unknown';
  }
}
