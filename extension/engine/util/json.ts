// JSON text with exact integers: bigint values are written as plain JSON numbers (never rounded,
// never quoted), Uint8Array as base64. Everything else as JSON.stringify would.

export function toJson(value: unknown): string {
  let hasBig = false;
  const tag = '\u0000big:';
  const text = JSON.stringify(value, (_k, v) => {
    if (typeof v === 'bigint') {
      hasBig = true;
      return tag + v.toString();
    }
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
    return v;
  });
  if (text === undefined) return 'null';
  if (!hasBig) return text;
  return text.replace(/"\\u0000big:(-?\d+)"/g, '$1');
}

/**
 * Parse JSON keeping integers that do not fit a double exactly as bigint.
 * (Used by tests and readers that must compare integers exactly.)
 * Digits inside strings, fractions and exponents are left alone.
 */
export function parseJsonExact(text: string): unknown {
  // Fast path: no run of 16+ digits that starts a number (fractions don't count), so every
  // integer fits a double exactly.
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  const marked = text.replace(BIG_INT, (m, str, big) => (str !== undefined ? str : `"\\u0000big:${big}"`));
  return JSON.parse(marked, (_k, v) => {
    if (typeof v === 'string' && v.startsWith('\u0000big:')) {
      const b = BigInt(v.slice(5));
      return Number.isSafeInteger(Number(b)) && BigInt(Number(b)) === b ? Number(b) : b;
    }
    return v;
  });
}

const LONG_DIGITS = /(?<![\d.])\d{16}/;
// A string literal (skipped), or an integer of 16+ digits that is not part of a fraction or an
// exponent (not preceded by a digit, '.', 'e', 'E', '+', '-' and not followed by '.', 'e', 'E').
const BIG_INT = /("(?:[^"\\]|\\.)*")|(?<![\d.eE+-])(-?\d{16,})(?![\d.eE])/g;
