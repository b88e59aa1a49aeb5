// A bounded one-line rendering of a decoded (JSON-able, bigint-allowed) value for summaries:
// stops walking once `max` characters are written, so huge values cost little.
import { preview } from './text';

export function valuePreview(value: unknown, max = 100): string {
  const out: string[] = [];
  let len = 0;
  const put = (s: string): boolean => {
    out.push(s);
    len += s.length;
    return len < max;
  };
  const walk = (v: unknown, depth: number): boolean => {
    if (v === null || v === undefined) return put('null');
    switch (typeof v) {
      case 'string':
        return put(JSON.stringify(v.length > max ? v.slice(0, max) : v));
      case 'number':
      case 'boolean':
        return put(String(v));
      case 'bigint':
        return put(v.toString());
      case 'object': {
        if (depth > 20) return put('…');
        if (Array.isArray(v)) {
          if (!put('[')) return false;
          for (let i = 0; i < v.length; i++) {
            if (i > 0 && !put(',')) return false;
            if (!walk(v[i], depth + 1)) return false;
          }
          return put(']');
        }
        if (v instanceof Uint8Array) return put(`<${v.length} B>`);
        if (!put('{')) return false;
        let first = true;
        for (const k in v as Record<string, unknown>) {
          if (!first && !put(',')) return false;
          first = false;
          if (!put(JSON.stringify(k) + ':')) return false;
          if (!walk((v as Record<string, unknown>)[k], depth + 1)) return false;
        }
        return put('}');
      }
      default:
        return put(String(v));
    }
  };
  walk(value, 0);
  return preview(out.join(''), max);
}
