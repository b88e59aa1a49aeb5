// Byte ranges of a MessagePack value's parts, by the JSON pointer of the part in the decoded
// value as ./msgpack-read.ts renders it (object keys, array indexes, "/$map/i/0|1" for maps
// rendered as pairs). Computed for the rows the panel shows, not while decoding.
import type { FieldRange } from '../../types';

const utf8 = new TextDecoder('utf-8', { fatal: false });

function pointer(parent: string, key: string | number): string {
  return `${parent}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** Header of the value at p: [kind, count or byte length, header size]. */
function head(d: Uint8Array, v: DataView, p: number): [kind: 'map' | 'array' | 'str' | 'bytes' | 'fixed', n: number, size: number] {
  const b = d[p]!;
  if (b < 0x80 || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return ['fixed', 0, 1];
  if (b < 0x90) return ['map', b & 0x0f, 1];
  if (b < 0xa0) return ['array', b & 0x0f, 1];
  if (b < 0xc0) return ['str', b & 0x1f, 1];
  switch (b) {
    case 0xc4:
      return ['bytes', d[p + 1]!, 2];
    case 0xc5:
      return ['bytes', v.getUint16(p + 1), 3];
    case 0xc6:
      return ['bytes', v.getUint32(p + 1), 5];
    case 0xc7:
      return ['bytes', d[p + 1]!, 3];
    case 0xc8:
      return ['bytes', v.getUint16(p + 1), 4];
    case 0xc9:
      return ['bytes', v.getUint32(p + 1), 6];
    case 0xca:
      return ['fixed', 0, 5];
    case 0xcb:
      return ['fixed', 0, 9];
    case 0xcc:
    case 0xd0:
      return ['fixed', 0, 2];
    case 0xcd:
    case 0xd1:
      return ['fixed', 0, 3];
    case 0xce:
    case 0xd2:
      return ['fixed', 0, 5];
    case 0xcf:
    case 0xd3:
      return ['fixed', 0, 9];
    case 0xd4:
      return ['fixed', 0, 3];
    case 0xd5:
      return ['fixed', 0, 4];
    case 0xd6:
      return ['fixed', 0, 6];
    case 0xd7:
      return ['fixed', 0, 10];
    case 0xd8:
      return ['fixed', 0, 18];
    case 0xd9:
      return ['str', d[p + 1]!, 2];
    case 0xda:
      return ['str', v.getUint16(p + 1), 3];
    case 0xdb:
      return ['str', v.getUint32(p + 1), 5];
    case 0xdc:
      return ['array', v.getUint16(p + 1), 3];
    case 0xdd:
      return ['array', v.getUint32(p + 1), 5];
    case 0xde:
      return ['map', v.getUint16(p + 1), 3];
    case 0xdf:
      return ['map', v.getUint32(p + 1), 5];
    default:
      throw new RangeError('not MessagePack');
  }
}

/**
 * Ranges of the parts of the value that fills data[start..] and renders as `decoded`, positions
 * offset by `base`. At most `limit` ranges; nothing when the bytes are not such a value.
 */
export function msgpackRanges(data: Uint8Array, decoded: unknown, start = 0, base = 0, limit = 1024): FieldRange[] {
  const out: FieldRange[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let p = start;
  const walk = (path: string, rendered: unknown, depth: number): void => {
    const from = p;
    const [kind, n, size] = head(data, view, p);
    p += size;
    if (kind === 'str' || kind === 'bytes') p += n;
    else if (kind === 'array') {
      const arr = Array.isArray(rendered) ? rendered : [];
      for (let i = 0; i < n; i++) walk(pointer(path, i), arr[i], depth + 1);
    } else if (kind === 'map') {
      const pairs =
        rendered !== null && typeof rendered === 'object' && Array.isArray((rendered as { $map?: unknown }).$map) ? (rendered as { $map: unknown[][] }).$map : undefined;
      for (let i = 0; i < n; i++) {
        if (pairs) {
          const pair = pointer(pointer(path, '$map'), i);
          walk(pointer(pair, 0), pairs[i]?.[0], depth + 1);
          walk(pointer(pair, 1), pairs[i]?.[1], depth + 1);
        } else {
          // String keys (the member's range is its value's bytes, as for JSON).
          const [kk, kn, ks] = head(data, view, p);
          if (kk !== 'str') throw new RangeError('object key is not a string');
          const key = utf8.decode(data.subarray(p + ks, p + ks + kn));
          p += ks + kn;
          walk(pointer(path, key), (rendered as Record<string, unknown> | null)?.[key], depth + 1);
        }
      }
    }
    if (p > data.length) throw new RangeError('past the end');
    if (path !== '' && out.length < limit) out.push({ path, start: base + from, end: base + p });
  };
  try {
    walk('', decoded, 0);
  } catch {
    return [];
  }
  // The value must fill the bytes from `start`: otherwise `start` was not where it begins.
  if (p !== data.length) return [];
  return out.sort((a, b) => a.start - b.start || b.end - a.end);
}
