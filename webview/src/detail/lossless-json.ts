// A lossless JSON reader for the detail tree: numbers keep their exact text (64-bit integers
// arrive unrounded as JSON text), object keys keep their order and duplicates.
export type JNode =
  | { kind: 'object'; entries: [string, JNode][] }
  | { kind: 'array'; items: JNode[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' };

export class JsonTreeError extends Error {}

const MAX_DEPTH = 512;

export function parseJsonTree(text: string): JNode {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const fail = (what: string): never => {
    throw new JsonTreeError(`invalid JSON at ${i}: ${what}`);
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i]!;
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const h = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad \\u escape');
            out += String.fromCharCode(parseInt(h, 16));
            i += 4;
            break;
          }
          default:
            fail('bad escape');
        }
      } else {
        out += c;
        i++;
      }
    }
  };
  const value = (depth: number): JNode => {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, JNode][] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        entries.push([k, value(depth + 1)]);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', entries };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const items: JNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', items };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { kind: 'string', value: str() };
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m && m[0] !== '' && m[0] !== '-') {
      i += m[0].length;
      return { kind: 'number', text: m[0] };
    }
    if (text.startsWith('true', i)) {
      i += 4;
      return { kind: 'bool', value: true };
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return { kind: 'bool', value: false };
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return { kind: 'null' };
    }
    return fail('unexpected character');
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

/** JSON text of a node, exact (numbers as read), pretty-printed with `indent` spaces. */
export function jsonText(node: JNode, indent = 2, level = 0): string {
  const pad = (n: number) => (indent > 0 ? '\n' + ' '.repeat(indent * n) : '');
  switch (node.kind) {
    case 'null':
      return 'null';
    case 'bool':
      return String(node.value);
    case 'number':
      return node.text;
    case 'string':
      return JSON.stringify(node.value);
    case 'array':
      if (!node.items.length) return '[]';
      return '[' + node.items.map((n) => pad(level + 1) + jsonText(n, indent, level + 1)).join(',') + pad(level) + ']';
    case 'object':
      if (!node.entries.length) return '{}';
      return '{' + node.entries.map(([k, n]) => pad(level + 1) + JSON.stringify(k) + (indent > 0 ? ': ' : ':') + jsonText(n, indent, level + 1)).join(',') + pad(level) + '}';
  }
}

/** One-line preview of a node for a collapsed tree item, cut at `max` characters. */
export function preview(node: JNode, max = 80): string {
  let s: string;
  switch (node.kind) {
    case 'object':
      s = `{${node.entries.length} ${node.entries.length === 1 ? 'key' : 'keys'}}`;
      break;
    case 'array':
      s = `[${node.items.length}]`;
      break;
    default:
      s = jsonText(node, 0);
  }
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}
