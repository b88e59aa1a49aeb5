// Is anybody accepting connections on a Unix socket path?
import net from 'node:net';
import { nodeSocketPath } from './paths';

/** Does a connection to this Unix socket path succeed? (The probe connection is closed at once.) */
export function canConnect(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection({ path: nodeSocketPath(path) });
    const done = (ok: boolean): void => {
      clearTimeout(t);
      s.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
