// One line of text for an event row, shared by the panel (summary column) and the row filter
// (free text matches it). Pure: usable in the engine, the host and the webview.
import type { EventFields } from './events';

/** The fields of an event row this needs (engine EventRow and wire rows both fit). */
export type EventLike = EventFields<string>;

function pidText(ev: EventLike): string {
  return ev.pid !== undefined ? `pid ${ev.pid}` : 'process';
}

function peersText(peers: EventLike['peers']): string {
  if (!peers) return '';
  const parts: string[] = [];
  if (peers.client?.length) parts.push(`client pid ${peers.client.join(',')}`);
  if (peers.server?.length) parts.push(`server pid ${peers.server.join(',')}`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

export function eventSummary(ev: EventLike): string {
  switch (ev.kind) {
    case 'spawn':
      return `spawn ${pidText(ev)}${ev.command?.length ? ': ' + ev.command.join(' ') : ''}`;
    case 'exit': {
      const how = ev.signal != null ? `killed by ${ev.signal}${ev.bySignal ? ' (sent from IPC Tap)' : ''}` : `exited with code ${ev.code ?? '?'}`;
      return `exit ${pidText(ev)} ${how}`;
    }
    case 'signal-sent':
      return `signal ${ev.signal ?? '?'} sent to ${ev.group ? 'process group of ' : ''}${pidText(ev)}`;
    case 'stopped':
      return `stopped ${pidText(ev)}`;
    case 'continued':
      return `continued ${pidText(ev)}`;
    case 'open':
      return `open conn ${ev.conn ?? '?'}${ev.from ? ' from ' + ev.from : ''}${ev.to ? ' to ' + ev.to : ''}${peersText(ev.peers)}`;
    case 'close':
      return `close conn ${ev.conn ?? '?'}${ev.reason ? ' (' + ev.reason + ')' : ''}${ev.message ? ': ' + ev.message : ''}`;
    case 'half-close':
      return `half-close conn ${ev.conn ?? '?'}${ev.dir ? ' ' + ev.dir + ' finished' : ''}`;
    case 'error':
      return `error${ev.conn !== undefined ? ' conn ' + ev.conn : ''}${ev.tap ? ' ' + ev.tap : ''}: ${ev.message ?? ''}`;
    case 'tap-ready':
      return `tap ready ${ev.tap ?? ''}${ev.address ? ' at ' + ev.address : ''}${ev.message ? ': ' + ev.message : ''}`;
    case 'tap-stopped':
      return `tap stopped ${ev.tap ?? ''}`;
    case 'restored':
      return `restored ${ev.path ?? ''}${ev.from ? ' from ' + ev.from : ''}`;
    case 'capture-dropped':
      return `capture dropped ${ev.bytes ?? '?'} bytes (forwarding went on)`;
    case 'note':
      return `note${ev.conn !== undefined ? ' conn ' + ev.conn : ''}: ${ev.message ?? ''}`;
    case 'signal-received':
      return `signal ${ev.signal ?? '?'} received by ${pidText(ev)}${ev.senderPid !== undefined ? ` from pid ${ev.senderPid}${ev.senderCommand ? ` (${ev.senderCommand})` : ''}` : ''}`;
    case 'gap':
      return `gap conn ${ev.conn ?? '?'}${ev.dir ? ' ' + ev.dir : ''}: ${ev.message ?? `${ev.bytes ?? '?'} bytes missing`}`;
    default:
      return `${ev.kind}${ev.message ? ': ' + ev.message : ''}`;
  }
}

/** Whether an event is an error in the sense of the `error` filter term. */
export function isErrorEvent(ev: EventLike): boolean {
  return ev.kind === 'error' || ev.kind === 'capture-dropped' || (ev.kind === 'close' && (ev.reason === 'error' || ev.reason === 'reset'));
}
