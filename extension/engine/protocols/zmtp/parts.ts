// Rendering of ZMTP message parts and command values: base64 always, text when printable UTF-8.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function b64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** The part as text when it is valid UTF-8 without control characters (tab/CR/LF allowed). */
export function printableText(b: Uint8Array): string | null {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return null;
  }
  try {
    return utf8.decode(b);
  } catch {
    return null;
  }
}

/** Text, or 0x + hex (for values shown inside summaries and property maps). */
export function textOrHex(b: Uint8Array, maxHex = 64): string {
  const t = printableText(b);
  if (t !== null) return t;
  const h = Buffer.from(b.subarray(0, maxHex)).toString('hex');
  return `0x${h}${b.length > maxHex ? '…' : ''}`;
}

/** One part for a summary line. */
export function partForSummary(b: Uint8Array): string {
  if (b.length === 0) return '""';
  const t = printableText(b);
  if (t !== null) return t.length > 40 ? JSON.stringify(t.slice(0, 39) + '…') : JSON.stringify(t);
  return textOrHex(b, 12);
}

export function clip(s: string, max = 160): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}
