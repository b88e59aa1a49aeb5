// Rendering helpers shared by the gob, net/rpc and jsonrpc1 decoders: map keys as Go's
// encoding/json writes them (sorted by their UTF-8 bytes), and short previews for summaries.
import { toJson } from '../../util/json';

/** A decoded map key as the string encoding/json uses for it. */
export function mapKeyString(k: unknown): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return String(k);
  return toJson(k);
}

/** Code-unit order adjusted to code-point (= UTF-8 byte) order. */
function fix(c: number): number {
  return c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c;
}

export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x < 0xd800 && y < 0xd800 ? x - y : fix(x) - fix(y);
  }
  return a.length - b.length;
}

export function sortKeys(keys: string[]): string[] {
  return keys.sort(compareUtf8);
}

/** JSON text of a value, cut to about `limit` characters without rendering all of a big value. */
export function preview(v: unknown, limit = 120): string {
  const out: string[] = [];
  let len = 0;
  const put = (s: string): boolean => {
    out.push(s);
    len += s.length;
    return len < limit;
  };
  const walk = (x: unknown): boolean => {
    if (x === null || x === undefined) return put('null');
    if (typeof x === 'string') return put(JSON.stringify(x.length > limit ? x.slice(0, limit) : x));
    if (typeof x !== 'object') return put(String(x));
    if (Array.isArray(x)) {
      if (!put('[')) return false;
      for (let i = 0; i < x.length; i++) {
        if (i > 0 && !put(',')) return false;
        if (!walk(x[i])) return false;
      }
      return put(']');
    }
    if (!put('{')) return false;
    let first = true;
    for (const k of Object.keys(x)) {
      if (!first && !put(',')) return false;
      first = false;
      if (!put(JSON.stringify(k) + ':')) return false;
      if (!walk((x as Record<string, unknown>)[k])) return false;
    }
    return put('}');
  };
  const done = walk(v);
  const s = out.join('');
  return done && s.length <= limit ? s : s.slice(0, limit) + '…';
}

/** A summary on one line: control characters (newlines included) shown as escapes. */
export function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
