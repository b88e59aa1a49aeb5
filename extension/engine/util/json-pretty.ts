// Re-indents JSON text without parsing it into JS values, so exact big integers stay as written.
export function prettyJson(text: string, indent = 2): string {
  let out = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  const nl = (d: number) => '\n' + ' '.repeat(d * indent);
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case '{':
      case '[': {
        const close = c === '{' ? '}' : ']';
        let j = i + 1;
        while (j < text.length && /\s/.test(text[j]!)) j++;
        if (text[j] === close) {
          out += c + close;
          i = j;
        } else {
          depth++;
          out += c + nl(depth);
        }
        break;
      }
      case '}':
      case ']':
        depth = Math.max(0, depth - 1);
        out += nl(depth) + c;
        break;
      case ',':
        out += ',' + nl(depth);
        break;
      case ':':
        out += ': ';
        break;
      case ' ':
      case '\n':
      case '\r':
      case '\t':
        break;
      default:
        out += c;
    }
  }
  return out;
}
