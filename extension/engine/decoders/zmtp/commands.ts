// ZMTP 3.x command bodies (RFC 23/37, PLAIN RFC 24, CURVE RFC 26): name-length byte, name, data.
// Decoded as {kind:"command", name, ...fields}. PLAIN credentials are masked unless revealed
// (../secrets.ts); CURVE bodies are shown as encrypted.
import { b64, printableText, textOrHex } from './parts';
import { masked } from '../core/secrets';

export interface CommandResult {
  decoded: Record<string, unknown>;
  summary: string;
  error?: string;
}

function u32(b: Uint8Array, o: number): number {
  return b[o] * 2 ** 24 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}

/** READY/INITIATE metadata: 1-byte name length + name, 4-byte BE value length + value. */
export function parseProperties(data: Uint8Array): { properties: Record<string, string>; error?: string } {
  const properties: Record<string, string> = {};
  let p = 0;
  while (p < data.length) {
    const nl = data[p];
    if (p + 1 + nl + 4 > data.length) return { properties, error: `truncated property at byte ${p}` };
    const name = Buffer.from(data.subarray(p + 1, p + 1 + nl)).toString('latin1');
    const vl = u32(data, p + 1 + nl);
    const vs = p + 1 + nl + 4;
    if (vs + vl > data.length) return { properties, error: `property ${name} value runs past the command` };
    properties[name] = textOrHex(data.subarray(vs, vs + vl));
    p = vs + vl;
  }
  return { properties };
}

function topicFields(topic: Uint8Array): { topic: string | null; topicBase64: string } {
  return { topic: printableText(topic), topicBase64: b64(topic) };
}

function topicSummary(topic: Uint8Array): string {
  return topic.length === 0 ? '(all)' : JSON.stringify(textOrHex(topic, 32));
}

/** `reveal`: show PLAIN credentials as sent (see ../secrets.ts); else they are masked. */
export function decodeCommand(body: Uint8Array, mechanism: string, reveal = false): CommandResult {
  if (body.length < 1) return { decoded: { kind: 'command' }, summary: 'empty command', error: 'empty command frame' };
  const nl = body[0];
  if (1 + nl > body.length) return { decoded: { kind: 'command' }, summary: 'bad command', error: 'command name runs past the frame' };
  const name = Buffer.from(body.subarray(1, 1 + nl)).toString('latin1');
  const dataStart = 1 + nl;
  const data = body.subarray(dataStart);
  const base = { kind: 'command', name };
  if (mechanism === 'CURVE' && name !== 'ERROR') {
    return {
      decoded: { ...base, encrypted: true, length: data.length },
      summary: `CURVE ${name} (encrypted, ${data.length} bytes)`,
    };
  }
  switch (name) {
    case 'READY':
    case 'INITIATE': {
      const r = parseProperties(data);
      const list = Object.entries(r.properties)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      return { decoded: { ...base, properties: r.properties }, summary: `${name}${list ? ' ' + list : ''}`, error: r.error };
    }
    case 'SUBSCRIBE':
    case 'CANCEL':
      return { decoded: { ...base, ...topicFields(data) }, summary: `${name} ${topicSummary(data)}` };
    case 'PING': {
      if (data.length < 2) return { decoded: base, summary: 'PING', error: 'PING without a TTL' };
      const ttl = (data[0] << 8) | data[1];
      const context = data.subarray(2);
      return {
        decoded: { ...base, ttl, context: b64(context) },
        summary: `PING ttl=${ttl / 10}s${context.length ? ' context=' + textOrHex(context) : ''}`,
      };
    }
    case 'PONG':
      return { decoded: { ...base, context: b64(data) }, summary: `PONG${data.length ? ' context=' + textOrHex(data) : ''}` };
    case 'ERROR': {
      const rl = data[0] ?? 0;
      const reason = Buffer.from(data.subarray(1, 1 + rl)).toString('utf8');
      return { decoded: { ...base, reason }, summary: `ERROR ${JSON.stringify(reason)}`, error: data.length < 1 + rl ? 'truncated ERROR reason' : undefined };
    }
    case 'HELLO': {
      if (mechanism !== 'PLAIN') break;
      const ul = data[0] ?? 0;
      const user = data.subarray(1, 1 + ul);
      const pl = data[1 + ul] ?? 0;
      const pass = data.subarray(2 + ul, 2 + ul + pl);
      const ok = data.length >= 2 + ul + pl;
      const error = ok ? undefined : 'truncated PLAIN HELLO';
      if (reveal) {
        const username = Buffer.from(user).toString('utf8');
        const password = Buffer.from(pass).toString('utf8');
        return { decoded: { ...base, username, password }, summary: `PLAIN HELLO user=${JSON.stringify(username)} password=${JSON.stringify(password)}`, error };
      }
      const username = masked(user.length);
      const password = masked(pass.length);
      return { decoded: { ...base, username, password, masked: ['username', 'password'] }, summary: `PLAIN HELLO user=${username} password=${password}`, error };
    }
    case 'WELCOME':
      if (mechanism === 'PLAIN') return { decoded: base, summary: 'PLAIN WELCOME' };
      break;
  }
  return { decoded: { ...base, data: b64(data) }, summary: `${name} (${data.length} bytes)` };
}
