// The row filter language of the panel's filter field, parsed and matched here so the engine
// evaluates exactly what the webview shows as hints. Pure: usable in the engine, host, webview.
//
//   free text          rows whose summary / protocol / tap / error / method contains it (any case)
//   "two words"        quoted text (also after a key: method:"A B")
//   proto:gob          protocol contains "gob" (proto:gob,jsonrpc: either)
//   conn:3  conn:3,4   connection number(s); events of those connections match too
//   dir:c2s            direction: c2s, s2c, stdin, stdout, stderr
//   method:Arith.Mul   decoded method / ServiceMethod / :path contains it (never a line of text)
//   tap:app.sock       tap spec contains it
//   kind:exit          event kind (spawn, exit, signal-sent, open, close, error, ...)
//   type:frame         frame or event
//   error              frames that failed to decode, replies that carry an error (net/rpc's error,
//                      a JSON-RPC error response, a gRPC status other than OK), error events,
//                      connections closed by error
//   error:timeout      ... whose error message contains "timeout"
//   after:120          rows with id > 120 (the panel's Clear sends this)
//   -term  !term       exclude rows matching term
// Terms on the same key are alternatives (OR); different keys and free-text words all apply (AND).
import { eventSummary, isErrorEvent, type EventLike } from './event-summary';

export type FilterField = 'text' | 'proto' | 'conn' | 'dir' | 'method' | 'tap' | 'kind' | 'type' | 'error' | 'after';

export interface FilterTerm {
  field: FilterField;
  /** Lower-cased value ('' for a bare `error`); for conn a decimal number. */
  value: string;
  not?: boolean;
}

export interface FilterSpec {
  terms: FilterTerm[];
}

export interface ParsedFilter {
  spec: FilterSpec;
  /** One message per term that was not understood (that term is left out of the spec). */
  errors: string[];
}

const KEYS: ReadonlySet<string> = new Set(['proto', 'conn', 'dir', 'method', 'tap', 'kind', 'type', 'error', 'after']);
export const FILTER_DIRECTIONS: readonly string[] = ['c2s', 's2c', 'stdin', 'stdout', 'stderr'];

/** Split into words; double quotes group (with \" and \\ escapes inside). */
function tokenize(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let tok = '';
    while (i < text.length && !/\s/.test(text[i]!)) {
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          tok += text[i];
          i++;
        }
        i++; // closing quote (or end)
      } else {
        tok += text[i];
        i++;
      }
    }
    out.push(tok);
  }
  return out;
}

export function parseFilter(text: string): ParsedFilter {
  const terms: FilterTerm[] = [];
  const errors: string[] = [];
  for (const raw of tokenize(text ?? '')) {
    let word = raw;
    let not = false;
    if (word.length > 1 && (word[0] === '-' || word[0] === '!')) {
      not = true;
      word = word.slice(1);
    }
    const colon = word.indexOf(':');
    const key = colon > 0 ? word.slice(0, colon).toLowerCase() : word.toLowerCase();
    if (colon < 0 && key === 'error') {
      terms.push(not ? { field: 'error', value: '', not } : { field: 'error', value: '' });
      continue;
    }
    if (colon <= 0 || !KEYS.has(key)) {
      // Not a known key (e.g. "http://x" or "a:b"): plain text.
      if (word !== '') terms.push(mk('text', word.toLowerCase(), not));
      continue;
    }
    const rest = word.slice(colon + 1);
    if (rest === '' && key !== 'error') {
      errors.push(`${key}: needs a value, e.g. ${example(key)}`);
      continue;
    }
    const values = key === 'error' ? [rest] : rest.split(',').filter((v) => v !== '');
    for (const v of values) {
      const value = v.toLowerCase();
      if (key === 'conn' || key === 'after') {
        if (!/^\d+$/.test(value)) {
          errors.push(`${key}: wants a number, e.g. ${example(key)} (got "${v}")`);
          continue;
        }
        terms.push(mk(key, String(Number(value)), not));
      } else if (key === 'dir') {
        if (!FILTER_DIRECTIONS.includes(value)) {
          errors.push(`dir: is one of ${FILTER_DIRECTIONS.join(', ')} (got "${v}")`);
          continue;
        }
        terms.push(mk('dir', value, not));
      } else if (key === 'type') {
        if (value !== 'frame' && value !== 'event') {
          errors.push(`type: is frame or event (got "${v}")`);
          continue;
        }
        terms.push(mk('type', value, not));
      } else {
        terms.push(mk(key as FilterField, value, not));
      }
    }
  }
  return { spec: { terms }, errors };
}

function mk(field: FilterField, value: string, not: boolean): FilterTerm {
  return not ? { field, value, not } : { field, value };
}

function example(key: string): string {
  switch (key) {
    case 'conn':
      return 'conn:3';
    case 'dir':
      return 'dir:c2s';
    case 'proto':
      return 'proto:gob';
    case 'method':
      return 'method:Arith.Multiply';
    case 'kind':
      return 'kind:exit';
    case 'type':
      return 'type:frame';
    case 'after':
      return 'after:100';
    default:
      return `${key}:text`;
  }
}

export function isEmptyFilter(spec: FilterSpec): boolean {
  return spec.terms.length === 0;
}

/** What matchRow reads from a row: engine rows (decoded value) and wire rows (decodedJson) fit. */
export type MatchableRow =
  | {
      type: 'frame';
      id?: number;
      conn: number;
      dir: string;
      proto: string;
      tap: string;
      summary: string;
      error?: string;
      decoded?: unknown;
      decodedJson?: string;
    }
  | ({ type: 'event'; id?: number } & EventLike);

const METHOD_KEYS = new Set(['method', 'servicemethod', ':path']);

/** Method names found in a decoded value (JSON-RPC method, net/rpc ServiceMethod, gRPC :path). */
export function findMethods(decoded: unknown, depth = 0, out: string[] = []): string[] {
  if (depth > 4 || decoded === null || typeof decoded !== 'object' || out.length > 8) return out;
  if (Array.isArray(decoded)) {
    // Header lists as [name, value] pairs.
    if (decoded.length === 2 && typeof decoded[0] === 'string' && typeof decoded[1] === 'string') {
      if (METHOD_KEYS.has(decoded[0].toLowerCase())) out.push(decoded[1]);
      return out;
    }
    for (let i = 0; i < decoded.length && i < 64; i++) findMethods(decoded[i], depth + 1, out);
    return out;
  }
  let n = 0;
  for (const [k, v] of Object.entries(decoded as Record<string, unknown>)) {
    if (n++ > 64) break;
    if (typeof v === 'string' && METHOD_KEYS.has(k.toLowerCase())) out.push(v);
    else if (v !== null && typeof v === 'object') findMethods(v, depth + 1, out);
  }
  return out;
}

/**
 * The error a peer reported inside a decoded message (not a decoding failure): net/rpc's reply
 * error, a JSON-RPC/LSP error response, a gRPC status other than OK. Undefined when none.
 */
export function applicationError(decoded: unknown, depth = 0): string | undefined {
  if (decoded === null || typeof decoded !== 'object' || depth > 1) return undefined;
  if (Array.isArray(decoded)) {
    // JSON-RPC batches.
    for (let i = 0; i < decoded.length && i < 64; i++) {
      const e = applicationError(decoded[i], depth + 1);
      if (e !== undefined) return e;
    }
    return undefined;
  }
  const d = decoded as Record<string, unknown>;
  // net/rpc: {"kind":"response","serviceMethod":…,"error":"divide by zero"}
  if (d.kind === 'response' && typeof d.error === 'string') return d.error === '' ? undefined : d.error;
  // gRPC trailers: {"kind":"trailers","status":3,"statusName":"INVALID_ARGUMENT","message":…}
  if (d.kind === 'trailers') {
    if (typeof d.status !== 'number' || d.status === 0) return undefined;
    return `${String(d.statusName ?? d.status)}${typeof d.message === 'string' && d.message ? `: ${d.message}` : ''}`;
  }
  // JSON-RPC 1.0/2.0 and LSP: a response whose error member is set.
  if ('error' in d && ('id' in d || 'jsonrpc' in d || 'result' in d)) {
    const e = d.error;
    if (e === null || e === undefined || e === '' || e === false) return undefined;
    if (typeof e === 'string') return e;
    const m = (e as { message?: unknown; code?: unknown }).message;
    const code = (e as { code?: unknown }).code;
    if (typeof m === 'string') return code !== undefined ? `${String(code)} ${m}` : m;
    try {
      return JSON.stringify(e);
    } catch {
      return 'error';
    }
  }
  return undefined;
}

/** Protocols whose frames are plain text or bytes: no method in them, whatever the text says. */
const PLAIN_PROTOS = new Set(['lines', 'raw', 'text']);

function decodedOf(row: MatchableRow): unknown {
  if (row.type !== 'frame') return undefined;
  if (row.decoded !== undefined) return row.decoded;
  if (row.decodedJson !== undefined) {
    try {
      return JSON.parse(row.decodedJson);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Per-row lazily computed strings, so each is built at most once per match. */
class RowView {
  private methods: string[] | undefined;
  private text: string | undefined;
  private appError: string | null | undefined;
  constructor(readonly row: MatchableRow) {}

  /** The error a peer reported in this frame's message ('' when none). */
  getAppError(): string {
    if (this.appError === undefined) this.appError = this.row.type === 'frame' ? (applicationError(decodedOf(this.row)) ?? null) : null;
    return this.appError ?? '';
  }

  getMethods(): string[] {
    if (this.methods === undefined) {
      this.methods = this.row.type === 'frame' ? findMethods(decodedOf(this.row)).map((m) => m.toLowerCase()) : [];
    }
    return this.methods;
  }

  getText(): string {
    if (this.text === undefined) {
      const r = this.row;
      this.text = r.type === 'frame' ? [r.summary, r.proto, r.tap, r.error ?? ''].join('\u0000').toLowerCase() : [eventSummary(r), r.tap ?? ''].join('\u0000').toLowerCase();
    }
    return this.text;
  }
}

function matchTerm(t: FilterTerm, v: RowView): boolean {
  const r = v.row;
  switch (t.field) {
    case 'text':
      return v.getText().includes(t.value) || v.getMethods().some((m) => m.includes(t.value));
    case 'proto':
      return r.type === 'frame' && r.proto.toLowerCase().includes(t.value);
    case 'conn':
      return r.conn !== undefined && String(r.conn) === t.value;
    case 'dir':
      return r.dir !== undefined && r.dir === t.value;
    case 'tap':
      return r.tap !== undefined && r.tap.toLowerCase().includes(t.value);
    case 'kind':
      return r.type === 'event' && r.kind.toLowerCase().includes(t.value);
    case 'type':
      return r.type === t.value;
    case 'after':
      return r.id !== undefined && r.id > Number(t.value);
    case 'method': {
      if (r.type !== 'frame' || PLAIN_PROTOS.has(r.proto.toLowerCase()) || r.proto.startsWith('len')) return false;
      const ms = v.getMethods();
      // Decoders that expose no method field: fall back to the summary line.
      return ms.length ? ms.some((m) => m.includes(t.value)) : r.summary.toLowerCase().includes(t.value);
    }
    case 'error': {
      if (r.type === 'frame') {
        if (r.error !== undefined && r.error !== '' && r.error.toLowerCase().includes(t.value)) return true;
        const app = v.getAppError();
        return app !== '' && app.toLowerCase().includes(t.value);
      }
      if (!isErrorEvent(r)) return false;
      return t.value === '' || eventSummary(r).toLowerCase().includes(t.value);
    }
  }
}

/** Does the row pass the filter? Pure and side-effect free; the engine evaluates rows/get with it. */
export function matchRow(spec: FilterSpec, row: MatchableRow): boolean {
  if (spec.terms.length === 0) return true;
  const v = new RowView(row);
  const anyOf = new Map<FilterField, boolean>();
  for (const t of spec.terms) {
    if (t.not) {
      if (matchTerm(t, v)) return false;
      continue;
    }
    if (t.field === 'text' || t.field === 'error' || t.field === 'after') {
      if (!matchTerm(t, v)) return false;
      continue;
    }
    if (anyOf.get(t.field) === true) continue;
    anyOf.set(t.field, matchTerm(t, v));
  }
  for (const ok of anyOf.values()) if (!ok) return false;
  return true;
}

/** Parse and return a matcher for filter text (invalid terms are ignored). */
export function compileFilter(text: string | undefined): (row: MatchableRow) => boolean {
  const { spec } = parseFilter(text ?? '');
  if (spec.terms.length === 0) return () => true;
  return (row) => matchRow(spec, row);
}
