// `jsonrpc`: JSON-RPC 2.0 (and DAP) messages, framed either by the LSP/DAP base protocol
// (Content-Length headers) or as newline-delimited JSON — chosen per direction from its first
// byte ('{', '[' or whitespace: lines; else headers). decoded = the message object (integers
// exact). Requests pair with responses by (requesting direction, id): the pair key names the
// direction the request went, so both sides' ids never collide. DAP messages
// ({seq, type, command, request_seq, success, body}) pair by seq/request_seq.
import type { Direction, Frame } from '../../types';
import type { ConnDecoder, DecoderInfo, DecoderOptions, SniffResult } from '../core/decoder';
import { maxFrameOf, payloadOf, type Framer, type Piece } from '../core/framed';
import { LineFramer } from '../lines';
import { findContentLength, LspFramer, parseBody } from './lsp';
import { bytesPreview, preview } from '../core/text';
import { valuePreview } from '../core/preview';
import { toJson } from '../../util/json';

/** The direction answers to a request sent in `dir` travel in. */
export function peerDir(dir: Direction): Direction {
  switch (dir) {
    case 'c2s':
      return 's2c';
    case 's2c':
      return 'c2s';
    case 'stdin':
      return 'stdout';
    default:
      return 'stdin';
  }
}

function idKey(id: unknown): string {
  return typeof id === 'string' ? 's:' + id : 'n:' + String(id);
}

function idText(id: unknown): string {
  return typeof id === 'string' ? JSON.stringify(id) : String(id);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_PENDING = 10000;
/** Characters of params / result shown in a summary. */
const PREVIEW = 80;

export interface Described {
  summary: string;
  pair?: { key: string; role: 'request' | 'response' };
}

/** Summaries and pairing for one connection (methods of open requests are remembered). */
export class RpcPairing {
  private readonly methods = new Map<string, string>();

  describe(msg: unknown, dir: Direction): Described {
    if (Array.isArray(msg)) {
      // (A batch holds messages, not batches: an array inside it is described as a value.)
      const parts = msg.slice(0, 3).map((m) => this.describeOne(m, dir).summary);
      return { summary: `batch of ${msg.length}: ${parts.join(' | ')}${msg.length > 3 ? ' | …' : ''}` };
    }
    return this.describeOne(msg, dir);
  }

  private describeOne(msg: unknown, dir: Direction): Described {
    if (!isObj(msg)) return { summary: preview(toJson(msg), 100) };
    if (typeof msg.seq === 'number' && typeof msg.type === 'string' && !('jsonrpc' in msg)) return this.dap(msg, dir);
    const method = typeof msg.method === 'string' ? msg.method : undefined;
    const hasId = 'id' in msg && msg.id !== undefined;
    if (method !== undefined) {
      // The params follow, shortened, as net/rpc rows show their args.
      const params = msg.params === undefined ? '' : ' ' + valuePreview(msg.params, PREVIEW);
      if (!hasId) return { summary: `${method} (notification)${params}` };
      const key = `${dir}|${idKey(msg.id)}`;
      this.remember(key, method);
      return { summary: `${method} #${idText(msg.id)}${params}`, pair: { key, role: 'request' } };
    }
    if (hasId && ('result' in msg || 'error' in msg)) {
      const key = `${peerDir(dir)}|${idKey(msg.id)}`;
      const m = this.methods.get(key);
      if (m !== undefined) this.methods.delete(key);
      let s = `${m ?? 'response'} #${idText(msg.id)} → `;
      if (isObj(msg.error)) {
        const code = msg.error.code;
        const text = typeof msg.error.message === 'string' ? ' ' + preview(msg.error.message, 80) : '';
        s += `error ${code === undefined ? '' : String(code)}${text}`;
      } else if (msg.error !== undefined && msg.error !== null) {
        s += `error ${preview(toJson(msg.error), 80)}`;
      } else s += valuePreview(msg.result, PREVIEW);
      return { summary: s, pair: { key, role: 'response' } };
    }
    return { summary: preview(toJson(msg), 100) };
  }

  private dap(msg: Obj, dir: Direction): Described {
    const command = typeof msg.command === 'string' ? msg.command : undefined;
    if (msg.type === 'request') {
      const key = `${dir}|dap:${String(msg.seq)}`;
      if (command) this.remember(key, command);
      return { summary: `DAP request ${command ?? '?'} (seq ${String(msg.seq)})`, pair: { key, role: 'request' } };
    }
    if (msg.type === 'response') {
      const key = `${peerDir(dir)}|dap:${String(msg.request_seq)}`;
      this.methods.delete(key);
      let s = `DAP response ${command ?? '?'} (seq ${String(msg.seq)} for ${String(msg.request_seq)})`;
      if (msg.success === false) s += ` failed${typeof msg.message === 'string' ? ': ' + preview(msg.message, 80) : ''}`;
      return { summary: s, pair: { key, role: 'response' } };
    }
    if (msg.type === 'event') return { summary: `DAP event ${typeof msg.event === 'string' ? msg.event : '?'} (seq ${String(msg.seq)})` };
    return { summary: `DAP ${preview(String(msg.type), 40)} (seq ${String(msg.seq)})` };
  }

  private remember(key: string, method: string): void {
    if (this.methods.size >= MAX_PENDING) {
      const oldest = this.methods.keys().next().value;
      if (oldest !== undefined) this.methods.delete(oldest);
    }
    this.methods.set(key, method);
  }
}

interface DirState {
  framer: Framer;
  lines: boolean;
}

export class JsonRpcConnDecoder implements ConnDecoder {
  private readonly dirs = new Map<Direction, DirState>();
  private readonly rpc = new RpcPairing();
  private readonly maxFrame: number;

  constructor(options?: DecoderOptions) {
    this.maxFrame = maxFrameOf(options);
  }

  push(dir: Direction, bytes: Uint8Array): Frame[] {
    if (bytes.length === 0) return [];
    let st = this.dirs.get(dir);
    if (!st) {
      const b = bytes[0];
      const lines = b === 0x7b || b === 0x5b || b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
      st = { framer: lines ? new LineFramer(this.maxFrame) : new LspFramer(this.maxFrame), lines };
      this.dirs.set(dir, st);
    }
    return this.frames(st.framer.push(bytes), dir, st.lines);
  }

  end(dir: Direction): Frame[] {
    const st = this.dirs.get(dir);
    return st ? this.frames(st.framer.end(), dir, st.lines) : [];
  }

  flush(dir: Direction): Frame[] {
    return this.end(dir);
  }

  private frames(pieces: Piece[], dir: Direction, lines: boolean): Frame[] {
    const out: Frame[] = [];
    for (const p of pieces) out.push(this.frame(p, dir, lines));
    return out;
  }

  private frame(p: Piece, dir: Direction, lines: boolean): Frame {
    const f: Frame = { dir, data: p.data, summary: '', decoded: null, payload: { start: p.start, end: p.end } };
    if (p.error) {
      f.error = p.error;
      f.summary = `${p.data.length} B ${bytesPreview(p.data)}`;
      return f;
    }
    const body = payloadOf(p);
    if (lines && isBlank(body)) {
      f.summary = '(blank line)';
      return f;
    }
    const r = parseBody(body, p.text);
    if (!r.ok) {
      f.decoded = r.text;
      f.error = `invalid JSON: ${r.why}`;
      f.summary = preview(r.text, 100);
      return f;
    }
    f.decoded = r.value;
    const d = this.rpc.describe(r.value, dir);
    f.summary = preview(d.summary, 200); // method names etc. may hold control characters
    if (d.pair) f.pair = d.pair;
    return f;
  }
}

function isBlank(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0x20 && b[i] !== 0x09 && b[i] !== 0x0d) return false;
  return true;
}

const HEADER_START = 'content-';

export function sniffJsonRpc(head: Uint8Array): SniffResult {
  let i = 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  if (i >= head.length) return 'more';
  const b = head[i];
  if (b === 0x7b || b === 0x5b) {
    const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1');
    if (/"jsonrpc"\s*:\s*"2\.0"/.test(text)) return 'yes';
    if (/"seq"\s*:/.test(text) && /"type"\s*:\s*"(request|response|event)"/.test(text)) return 'yes';
    return text.indexOf('\n', i) >= 0 || head.length >= 1024 ? 'no' : 'more';
  }
  if (i > 0) return 'no';
  // Content-Length / Content-Type headers (any case)
  for (let j = 0; j < HEADER_START.length; j++) {
    if (j >= head.length) return 'more';
    if ((head[j] | 0x20) !== HEADER_START.charCodeAt(j)) return 'no';
  }
  if (findContentLength(head, 0) >= 0) return 'yes';
  return head.indexOf(0x0a) >= 0 && head.length > 64 ? 'no' : 'more';
}

export const jsonrpcDecoder: DecoderInfo = {
  name: 'jsonrpc',
  description: 'JSON-RPC 2.0 and DAP over Content-Length framing (LSP) or newline-delimited JSON; pairs requests and responses',
  priority: 10,
  sniff: (head) => sniffJsonRpc(head),
  create: (options?: DecoderOptions) => new JsonRpcConnDecoder(options),
};
