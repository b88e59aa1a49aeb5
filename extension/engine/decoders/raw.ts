// `raw`: every pushed chunk is one frame, as the tap read it. Never fails.
import type { Direction, Frame } from '../types';
import type { ConnDecoder, DecoderInfo } from './core/decoder';
import { bytesPreview, printableText } from './core/text';

export function rawFrame(dir: Direction, data: Uint8Array): Frame {
  const text = data.length <= 64 * 1024 ? printableText(data) : null;
  return { dir, data, summary: `${data.length} B ${bytesPreview(data)}`, decoded: text };
}

class RawConnDecoder implements ConnDecoder {
  push(dir: Direction, bytes: Uint8Array): Frame[] {
    return bytes.length ? [rawFrame(dir, bytes)] : [];
  }
  end(): Frame[] {
    return [];
  }
  flush(): Frame[] {
    return [];
  }
}

export const rawDecoder: DecoderInfo = {
  name: 'raw',
  description: 'chunks as read, no framing (decoded: the text when printable UTF-8, else null)',
  create: () => new RawConnDecoder(),
};
