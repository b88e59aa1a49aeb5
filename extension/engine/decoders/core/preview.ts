// A bounded one-line rendering of a decoded (JSON-able, bigint-allowed) value for summaries:
// stops walking once `max` characters are written, so huge values cost little.

/** Characters JSON.stringify escapes in a string (lone surrogates too, so all surrogates go the
 *  slow way), and the three it leaves that would break a one-line summary (DEL, U+2028, U+2029). */
const JSON_ESCAPED = /["\\\u0000-\u001f\u007f\u2028\u2029\ud800-\udfff]/;

/** JSON.stringify(s), with DEL, U+2028 and U+2029 escaped too (so the text is one line with no
 *  control characters), without the call for the common strings that need no escapes. */
export function jsonQuote(s: string): string {
  if (s.length <= 24) {
    // short strings: a plain scan beats the regular expression
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x7f || c === 0x2028 || c === 0x2029 || (c >= 0xd800 && c <= 0xdfff)) return slowQuote(s);
    }
    return '"' + s + '"';
  }
  return JSON_ESCAPED.test(s) ? slowQuote(s) : '"' + s + '"';
}

function slowQuote(s: string): string {
  const j = JSON.stringify(s);
  return /[\u007f\u2028\u2029]/.test(j) ? j.replace(/[\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : j;
}

/** `"key":` for object keys, which repeat from message to message. */
const keyCache = new Map<string, string>();

export function jsonKey(k: string): string {
  let q = keyCache.get(k);
  if (q === undefined) {
    q = jsonQuote(k) + ':';
    if (k.length <= 64) {
      if (keyCache.size >= 4096) keyCache.clear();
      keyCache.set(k, q);
    }
  }
  return q;
}

class Writer {
  out = '';
  constructor(readonly max: number) {}

  /** false once full */
  put(s: string): boolean {
    this.out += s;
    return this.out.length < this.max;
  }

  walk(v: unknown, depth: number): boolean {
    if (v === null || v === undefined) return this.put('null');
    switch (typeof v) {
      case 'string':
        return this.put(jsonQuote(v.length > this.max ? v.slice(0, this.max) : v));
      case 'number':
      case 'boolean':
        return this.put(String(v));
      case 'bigint':
        return this.put(v.toString());
      case 'object':
        return this.object(v as object, depth);
      default:
        return this.put(String(v));
    }
  }

  private object(v: object, depth: number): boolean {
    if (depth > 20) return this.put('…');
    if (Array.isArray(v)) {
      if (!this.put('[')) return false;
      for (let i = 0; i < v.length; i++) {
        if (i > 0 && !this.put(',')) return false;
        if (!this.walk(v[i], depth + 1)) return false;
      }
      return this.put(']');
    }
    if (v instanceof Uint8Array) return this.put(`<${v.length} B>`);
    if (!this.put('{')) return false;
    let first = true;
    const o = v as Record<string, unknown>;
    for (const k in o) {
      if (!first && !this.put(',')) return false;
      first = false;
      if (!this.put(jsonKey(k))) return false;
      if (!this.walk(o[k], depth + 1)) return false;
    }
    return this.put('}');
  }
}

/** One line, no control characters: every string and key goes through jsonQuote. */
export function valuePreview(value: unknown, max = 100): string {
  const w = new Writer(max);
  w.walk(value, 0);
  return w.out.length > max ? w.out.slice(0, max) + '…' : w.out;
}
