// Parsing of --tap arguments into a TapSpec (see tap.ts for the shapes).
//   unix:PATH                   take over the Unix socket a server bound at PATH
//   unix:LISTEN=TARGET          proxy: listen at LISTEN, forward to TARGET
//   fifo:PATH                   take over the FIFO at PATH
//   fifo:LISTEN=TARGET          relay what writers write into LISTEN to the FIFO TARGET
//   tcp:PORT=HOST:PORT          proxy on 127.0.0.1:PORT (PORT 0 picks a free port)
//   tcp:127.0.0.1:PORT=HOST:PORT, tcp:[::1]:PORT=HOST:PORT, tcp:localhost:PORT=...
// Unix socket paths may be abstract names written @name (proxy only: an abstract name cannot be
// renamed, so it cannot be taken over). File paths are resolved to absolute paths.
import { isAbsolute, resolve } from 'node:path';
import { UserError } from '../util/errors';
import type { TapSpec } from './tap';

const USAGE = 'expected unix:PATH, unix:LISTEN=TARGET, fifo:PATH, fifo:LISTEN=TARGET or tcp:PORT=HOST:PORT';

/** Parse one --tap argument. Throws UserError (exit code 1, usage) on malformed input. */
export function parseTapSpec(text: string, cwd: string = process.cwd()): TapSpec {
  const raw = text.trim();
  const colon = raw.indexOf(':');
  if (colon <= 0) throw bad(text, USAGE);
  const kind = raw.slice(0, colon).toLowerCase();
  const rest = raw.slice(colon + 1);
  if (rest === '') throw bad(text, `nothing after "${kind}:"; ${USAGE}`);
  switch (kind) {
    case 'unix':
      return parseUnix(text, rest, cwd);
    case 'fifo':
      return parseFifo(text, rest, cwd);
    case 'tcp':
      return parseTcp(text, rest);
    case 'stdio':
      throw bad(text, 'the stdio tap is on by default in `ipctap run` and takes no --tap spec');
    default:
      throw bad(text, `unknown tap kind "${kind}"; ${USAGE}`);
  }
}

function bad(text: string, why: string): UserError {
  return new UserError(`bad tap spec "${text}": ${why}`, 1);
}

function splitPair(rest: string): [string, string] | undefined {
  const eq = rest.indexOf('=');
  if (eq < 0) return undefined;
  return [rest.slice(0, eq), rest.slice(eq + 1)];
}

/** A file path made absolute, or an abstract socket name kept as "@name". */
function unixPath(text: string, p: string, cwd: string, what: string, allowAbstract: boolean): string {
  if (p === '') throw bad(text, `empty ${what} path`);
  if (p.includes('\0')) throw bad(text, `${what} path contains a NUL byte`);
  if (p.startsWith('@')) {
    if (!allowAbstract) throw bad(text, `${what} "${p}" is an abstract socket name; only unix:LISTEN=TARGET proxies can use those (an abstract name cannot be taken over)`);
    if (p.length === 1) throw bad(text, `empty abstract socket name`);
    return p;
  }
  return isAbsolute(p) ? resolve(p) : resolve(cwd, p);
}

function filePath(text: string, p: string, cwd: string, what: string): string {
  if (p === '') throw bad(text, `empty ${what} path`);
  if (p.includes('\0')) throw bad(text, `${what} path contains a NUL byte`);
  return isAbsolute(p) ? resolve(p) : resolve(cwd, p);
}

function parseUnix(text: string, rest: string, cwd: string): TapSpec {
  const pair = splitPair(rest);
  if (!pair) {
    const path = unixPath(text, rest, cwd, 'socket', false);
    return { kind: 'unix', mode: 'takeover', path, spec: `unix:${path}` };
  }
  const listen = unixPath(text, pair[0], cwd, 'LISTEN', true);
  const target = unixPath(text, pair[1], cwd, 'TARGET', true);
  if (listen === target) throw bad(text, 'LISTEN and TARGET are the same path (for a takeover write unix:PATH)');
  return { kind: 'unix', mode: 'proxy', listen, target, spec: `unix:${listen}=${target}` };
}

function parseFifo(text: string, rest: string, cwd: string): TapSpec {
  const pair = splitPair(rest);
  if (!pair) {
    const path = filePath(text, rest, cwd, 'FIFO');
    return { kind: 'fifo', mode: 'takeover', path, spec: `fifo:${path}` };
  }
  const listen = filePath(text, pair[0], cwd, 'LISTEN');
  const target = filePath(text, pair[1], cwd, 'TARGET');
  if (listen === target) throw bad(text, 'LISTEN and TARGET are the same path (for a takeover write fifo:PATH)');
  return { kind: 'fifo', mode: 'relay', listen, target, spec: `fifo:${listen}=${target}` };
}

interface HostPort {
  host: string | undefined;
  port: number;
}

/** "PORT", "HOST:PORT", "[V6]:PORT". */
function hostPort(text: string, s: string, what: string): HostPort {
  let host: string | undefined;
  let portText: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0 || s[close + 1] !== ':') throw bad(text, `${what} "${s}": expected [IPV6]:PORT`);
    host = s.slice(1, close);
    portText = s.slice(close + 2);
  } else {
    const c = s.lastIndexOf(':');
    if (c >= 0) {
      host = s.slice(0, c);
      portText = s.slice(c + 1);
      if (host.includes(':')) throw bad(text, `${what} "${s}": write IPv6 addresses in brackets, e.g. [::1]:PORT`);
    } else portText = s;
  }
  if (host === '') throw bad(text, `${what} "${s}": empty host`);
  if (!/^\d{1,5}$/.test(portText)) throw bad(text, `${what} "${s}": "${portText}" is not a port number`);
  const port = Number(portText);
  if (port > 65535) throw bad(text, `${what} port ${port} is out of range (0-65535)`);
  return { host, port };
}

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

function loopbackListenHost(text: string, host: string | undefined): string {
  if (host === undefined || host === 'localhost') return '127.0.0.1';
  const h = host.toLowerCase();
  if (LOOPBACK_V4.test(h) && h.split('.').every((o) => Number(o) <= 255)) return h;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return '::1';
  throw bad(text, `will not listen on "${host}": the tap listens on loopback only (127.0.0.1, [::1] or localhost)`);
}

function hostText(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function parseTcp(text: string, rest: string): TapSpec {
  const pair = splitPair(rest);
  if (!pair) throw bad(text, 'expected tcp:PORT=HOST:PORT (a TCP tap is a proxy: say where to listen and where to forward)');
  const l = hostPort(text, pair[0], 'listen address');
  const listenHost = loopbackListenHost(text, l.host);
  const t = hostPort(text, pair[1], 'target');
  const targetHost = t.host === undefined ? '127.0.0.1' : t.host;
  if (t.port === 0) throw bad(text, 'target port 0: say which port the server listens on');
  const listenText = listenHost === '127.0.0.1' ? `${l.port}` : `${hostText(listenHost)}:${l.port}`;
  return {
    kind: 'tcp',
    listenHost,
    listenPort: l.port,
    targetHost,
    targetPort: t.port,
    spec: `tcp:${listenText}=${hostText(targetHost)}:${t.port}`,
  };
}
