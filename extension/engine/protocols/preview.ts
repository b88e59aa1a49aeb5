// A bounded one-line rendering of a decoded (JSON-able, bigint-allowed) value for summaries:
// stops walking once `max` characters are written, so huge values cost little.
import { preview } from './text';

const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029]/;

function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
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
        return this.put(quote(v.length > this.max ? v.slice(0, this.max) : v));
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
      if (!this.put(quote(k) + ':')) return false;
      if (!this.walk(o[k], depth + 1)) return false;
    }
    return this.put('}');
  }
}

export function valuePreview(value: unknown, max = 100): string {
  const w = new Writer(max);
  w.walk(value, 0);
  return preview(w.out, max);
}
