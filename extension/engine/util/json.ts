// JSON text with exact integers: bigint values are written as plain JSON numbers (never rounded,
// never quoted), Uint8Array as base64. Everything else as JSON.stringify would.

/** Deeper than this, a value that JSON.stringify cannot write (its recursion ran out of stack) is
 *  written up to here, the rest replaced by a marker string. Hostile input (a JSON or MessagePack
 *  message nested a million levels deep) must not stop a row from being written. */
export const MAX_JSON_DEPTH = 256;
export const TOO_DEEP = `…(nested deeper than ${MAX_JSON_DEPTH} levels)`;

export function toJson(value: unknown): string {
  try {
    return writeJson(value);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return writeJson(clipDepth(value, MAX_JSON_DEPTH));
  }
}

/** A copy of `value` down to `depth` levels of arrays and objects; deeper ones become TOO_DEEP. */
function clipDepth(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  if (depth === 0) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((v) => clipDepth(v, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = clipDepth(v, depth - 1);
  return out;
}

function writeJson(value: unknown): string {
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
  // Numbers beyond a double's range (1e999, 400 digits with a fraction) would parse to ±Infinity,
  // which JSON cannot carry: they are kept as their text.
  if (HUGE_HINT.test(text)) text = text.replace(NUMBER, (m, str, num) => (str !== undefined || Number.isFinite(Number(num)) ? m : `"\\u0000num:${num}"`));
  // Fast path: no run of 16+ digits that starts a number (fractions don't count), so every
  // integer fits a double exactly.
  if (!LONG_DIGITS.test(text)) return HUGE_MARK.test(text) ? JSON.parse(text, hugeReviver) : JSON.parse(text);
  const marked = text.replace(BIG_INT, (m, str, big) => (str !== undefined ? str : `"\\u0000big:${big}"`));
  return JSON.parse(marked, (_k, v) => {
    if (typeof v === 'string' && v.startsWith('\u0000big:')) {
      const b = BigInt(v.slice(5));
      return Number.isSafeInteger(Number(b)) && BigInt(Number(b)) === b ? Number(b) : b;
    }
    return hugeReviver(_k, v);
  });
}

function hugeReviver(_k: string, v: unknown): unknown {
  return typeof v === 'string' && v.startsWith('\u0000num:') ? v.slice(5) : v;
}

/** A 3-digit exponent or a 309-digit run: a number that may be beyond a double's range. */
const HUGE_HINT = /[eE][+-]?\d{3}|\d{309}/;
const HUGE_MARK = /\\u0000num:/;
// A string literal (skipped), or a number.
const NUMBER = /("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

const LONG_DIGITS = /(?<![\d.])\d{16}/;
// A string literal (skipped), or an integer of 16+ digits that is not part of a fraction or an
// exponent (not preceded by a digit, '.', 'e', 'E', '+', '-' and not followed by '.', 'e', 'E').
const BIG_INT = /("(?:[^"\\]|\\.)*")|(?<![\d.eE+-])(-?\d{16,})(?![\d.eE])/g;
