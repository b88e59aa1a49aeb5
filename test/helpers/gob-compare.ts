// Exact comparison of a decoded value with Go's encoding/json output (parsed by parseJsonExact):
// integers exactly (bigint past 2^53), floats exactly except where Go printed a float32 (which
// it formats with 32-bit precision); counts those float32 allowances so tests can bound them.
export interface CompareResult {
  diffs: string[];
  float32: number;
}

export function compareGoJson(got: unknown, want: unknown, path = ''): CompareResult {
  const res: CompareResult = { diffs: [], float32: 0 };
  walk(got, want, path, res);
  return res;
}

function walk(got: unknown, want: unknown, path: string, res: CompareResult): void {
  if (res.diffs.length > 20) return;
  if (typeof got === 'number' || typeof got === 'bigint' || typeof want === 'number' || typeof want === 'bigint') {
    if (typeof got === typeof want && got === want) return;
    if (typeof got === 'number' && typeof want === 'bigint' && Number.isInteger(got) && BigInt(got) === want) return;
    if (typeof got === 'number' && typeof want === 'number' && Math.fround(want) === got && Math.fround(got) === got) {
      res.float32++;
      return;
    }
    res.diffs.push(`${path || '/'}: got ${String(got)} want ${String(want)}`);
    return;
  }
  if (got === null || want === null || typeof got !== 'object' || typeof want !== 'object') {
    if (got !== want) res.diffs.push(`${path || '/'}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
    return;
  }
  if (Array.isArray(got) !== Array.isArray(want)) {
    res.diffs.push(`${path}: array vs object`);
    return;
  }
  const gk = Object.keys(got);
  const wk = Object.keys(want);
  if (gk.length !== wk.length || gk.some((k) => !Object.prototype.hasOwnProperty.call(want, k))) {
    res.diffs.push(`${path}: keys ${gk.join(',')} vs ${wk.join(',')}`);
    return;
  }
  for (const k of wk) walk((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${path}/${k}`, res);
}
