// Decoded values and summaries for HTTP/2 frames that are not header blocks or data:
// SETTINGS, PING, GOAWAY, WINDOW_UPDATE, RST_STREAM, PRIORITY and unknown types.
import { FLAG, SETTING_NAMES, T, errorName, hexOf, type FrameHeader, typeName, u32 } from './frame-types';

export interface ControlResult {
  decoded: Record<string, unknown>;
  summary: string;
  error?: string;
}

function printable(b: Uint8Array): string {
  const s = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  return /^[\x20-\x7e\u00a0-\uffff\t\r\n]*$/.test(s) && !s.includes('\ufffd') ? s : hexOf(b);
}

/** `payload` is the frame payload (after the 9-byte header). */
export function decodeControl(h: FrameHeader, payload: Uint8Array): ControlResult {
  const ack = (h.flags & FLAG.ACK) !== 0;
  switch (h.type) {
    case T.SETTINGS: {
      if (payload.length % 6 !== 0) return bad('settings', `SETTINGS payload of ${payload.length} bytes is not a multiple of 6`);
      const settings: Record<string, number> = {};
      for (let o = 0; o + 6 <= payload.length; o += 6) {
        const id = (payload[o] << 8) | payload[o + 1];
        settings[SETTING_NAMES[id] ?? `0x${id.toString(16)}`] = u32(payload, o + 2);
      }
      const list = Object.entries(settings)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      return {
        decoded: { kind: 'settings', ack, settings },
        summary: ack ? 'SETTINGS ACK' : `SETTINGS${list ? ' ' + list : ' (defaults)'}`,
      };
    }
    case T.PING: {
      if (payload.length !== 8) return bad('ping', `PING payload of ${payload.length} bytes (must be 8)`);
      const opaque = hexOf(payload);
      return { decoded: { kind: 'ping', ack, opaque }, summary: `PING${ack ? ' ACK' : ''} ${opaque}` };
    }
    case T.GOAWAY: {
      if (payload.length < 8) return bad('goaway', `GOAWAY payload of ${payload.length} bytes (at least 8)`);
      const lastStream = u32(payload, 0) & 0x7fffffff;
      const code = u32(payload, 4);
      const debug = payload.length > 8 ? printable(payload.subarray(8)) : '';
      return {
        decoded: { kind: 'goaway', lastStream, error: errorName(code), code, debug },
        summary: `GOAWAY last=${lastStream} ${errorName(code)}${debug ? ' ' + JSON.stringify(debug) : ''}`,
      };
    }
    case T.WINDOW_UPDATE: {
      if (payload.length !== 4) return bad('window-update', `WINDOW_UPDATE payload of ${payload.length} bytes`);
      const increment = u32(payload, 0) & 0x7fffffff;
      return {
        decoded: { kind: 'window-update', stream: h.stream, increment },
        summary: `WINDOW_UPDATE s${h.stream} +${increment}`,
      };
    }
    case T.RST_STREAM: {
      if (payload.length !== 4) return bad('rst-stream', `RST_STREAM payload of ${payload.length} bytes`);
      const code = u32(payload, 0);
      return {
        decoded: { kind: 'rst-stream', stream: h.stream, error: errorName(code), code },
        summary: `RST_STREAM s${h.stream} ${errorName(code)}`,
      };
    }
    case T.PRIORITY: {
      if (payload.length !== 5) return bad('priority', `PRIORITY payload of ${payload.length} bytes`);
      const dep = u32(payload, 0);
      const decoded = {
        kind: 'priority',
        stream: h.stream,
        dependsOn: dep & 0x7fffffff,
        exclusive: dep >= 0x80000000,
        weight: payload[4] + 1,
      };
      return { decoded, summary: `PRIORITY s${h.stream} on s${decoded.dependsOn} weight ${decoded.weight}` };
    }
    default:
      return {
        decoded: { kind: 'unknown', type: h.type, flags: h.flags, stream: h.stream, length: h.length },
        summary: `${typeName(h.type)} s${h.stream} len=${h.length} (unknown type, skipped)`,
      };
  }
}

function bad(kind: string, error: string): ControlResult {
  return { decoded: { kind }, summary: error, error };
}
