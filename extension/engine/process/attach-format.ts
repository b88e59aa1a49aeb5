// Text output for `ipctap attach PID`: an aligned table of endpoints. (--json prints the
// Endpoint objects themselves.)
import type { Endpoint, EndpointPeer, ProcessSummary } from './attach';
import { maxOf } from '../util/arrays';

function peerText(p: EndpointPeer): string {
  const mode = p.mode === 'read' ? ' reads' : p.mode === 'write' ? ' writes' : '';
  return `${p.pid} ${p.name}${mode}`;
}

const MAX_PEERS_SHOWN = 3;

function peerList(peers: EndpointPeer[]): string {
  const shown = peers.slice(0, MAX_PEERS_SHOWN).map(peerText).join(', ');
  return peers.length > MAX_PEERS_SHOWN ? `${shown} +${peers.length - MAX_PEERS_SHOWN} more` : shown;
}

function address(e: Endpoint): string {
  switch (e.kind) {
    case 'unix':
      if (e.local && e.remote && e.local !== e.remote) return `${e.local} -> ${e.remote}`;
      if (e.local) return e.local;
      return e.remote ? `-> ${e.remote}` : '(unnamed)';
    case 'tcp':
      return e.remote ? `${e.local} -> ${e.remote}` : (e.local ?? '');
    case 'pipe':
      return e.target;
    default:
      return e.local ?? e.target;
  }
}

function stateText(e: Endpoint): string {
  if (e.state) return e.sockType && e.sockType !== 'stream' ? `${e.state} (${e.sockType})` : e.state;
  return e.mode ?? '';
}

/** An aligned table, one endpoint a line, with the --tap spec for listening ones. */
export function formatEndpoints(endpoints: Endpoint[]): string {
  if (endpoints.length === 0) return 'no sockets, pipes or FIFOs open';
  const header = ['FD', 'KIND', 'STATE', 'ADDRESS', 'PEER', 'TAP WITH'];
  const rows = endpoints.map((e) => {
    const peers = e.peers === undefined ? '' : e.peers.length === 0 ? '-' : peerList(e.peers);
    const tap = e.tapSpec ? `--tap ${e.tapSpec}` : (e.note ?? '');
    return [e.stdio ? `${e.fd} (${e.stdio})` : String(e.fd), e.kind, stateText(e), address(e), peers, tap];
  });
  const widths = header.map((h, i) =>
    maxOf(
      rows.map((r) => r[i].length),
      h.length,
    ),
  );
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const lines = [line(header), ...rows.map(line)];
  const listening = endpoints.filter((e) => e.tapSpec && e.state === 'listening');
  if (listening.length > 0) {
    lines.push('', 'taking over a listening endpoint captures new connections; connections already open are not captured (ipctap attach PID --trace sees them)');
  }
  return lines.join('\n');
}

/** For a process picker in text form: "  4242  server  3 endpoints  ./server -addr ...". */
export function formatProcessList(list: ProcessSummary[]): string {
  if (list.length === 0) return 'no processes of yours have sockets, pipes or FIFOs open';
  const pw = maxOf(
    list.map((p) => String(p.pid).length),
    3,
  );
  const nw = maxOf(
    list.map((p) => p.name.length),
    4,
  );
  return list.map((p) => `${String(p.pid).padStart(pw)}  ${p.name.padEnd(nw)}  ${String(p.endpoints).padStart(3)}  ${p.command}`).join('\n');
}
