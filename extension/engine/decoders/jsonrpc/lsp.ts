// `lsp`: the LSP/DAP base protocol — "Name: value\r\n" headers, a blank line, then exactly
// Content-Length bytes of body. Header names are matched without regard to case; a bare "\n"
// line end is accepted too. Bad headers (no Content-Length, a line that is not a header, more
// than 8 KiB of headers) give an error frame holding the bytes up to the next "Content-Length"
// and decoding resumes there. decoded = the body parsed as JSON (integers exact), else its text.
import type { Direction, Frame } from '../../types';
import { parseJsonExact } from '../../util/json';
import { asBuffer, StreamInput, utf8Slice } from '../core/bytes';
import type { DecoderInfo, DecoderOptions } from '../core/decoder';
import { bareFrame, FramedConnDecoder, isOuter, makePiece, maxFrameOf, payloadOf, type Framer, type Piece } from '../core/framed';
import { bytesPreview, preview, utf8 } from '../core/text';

export const MAX_HEADER = 8 * 1024;
const NEEDLE = 'content-length';

/** Is byte b a header-name character (RFC 7230 token)? */
function isToken(b: number): boolean {
  return (
    (b >= 0x61 && b <= 0x7a) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x30 && b <= 0x39) ||
    b === 0x2d ||
    b === 0x5f ||
    b === 0x2e ||
    b === 0x21 ||
    b === 0x23 ||
    b === 0x24 ||
    b === 0x25 ||
    b === 0x26 ||
    b === 0x27 ||
    b === 0x2a ||
    b === 0x2b ||
    b === 0x5e ||
    b === 0x60 ||
    b === 0x7c ||
    b === 0x7e
  );
}

/** Index of "content-length" (any case) in d at or after `from`, or -1. */
export function findContentLength(d: Uint8Array, from: number): number {
  const last = d.length - NEEDLE.length;
  for (let i = from; i <= last; i++) {
    if ((d[i] | 0x20) !== 0x63) continue;
    let j = 1;
    while (j < NEEDLE.length && (d[i + j] | 0x20) === NEEDLE.charCodeAt(j)) j++;
    if (j === NEEDLE.length) return i;
  }
  return -1;
}

type HeaderResult = { kind: 'more' } | { kind: 'bad'; why: string } | { kind: 'ok'; headerLen: number; length: number; headers: Record<string, string> };

/** Parse the header block starting at `pos`. */
function parseHeaders(d: Uint8Array, pos: number, maxFrame: number): HeaderResult {
  const headers: Record<string, string> = {};
  let length = -1;
  let p = pos;
  for (;;) {
    // one line: name ":" value (CR)? LF, or an empty line
    let i = p;
    while (i < d.length && i - pos < MAX_HEADER && isToken(d[i])) i++;
    if (i >= d.length) return { kind: 'more' };
    if (i - pos >= MAX_HEADER) return { kind: 'bad', why: `headers longer than ${MAX_HEADER} bytes` };
    if (i === p) {
      // empty line ends the headers
      if (d[i] === 10) return done(i + 1);
      if (d[i] === 13) {
        if (i + 1 >= d.length) return { kind: 'more' };
        if (d[i + 1] === 10) return done(i + 2);
      }
      return { kind: 'bad', why: 'not an LSP header line' };
    }
    if (d[i] !== 0x3a) return { kind: 'bad', why: 'not an LSP header line' };
    let nl = i + 1;
    while (nl < d.length && d[nl] !== 10 && nl - pos < MAX_HEADER) nl++;
    if (nl - pos >= MAX_HEADER) return { kind: 'bad', why: `headers longer than ${MAX_HEADER} bytes` };
    if (nl >= d.length) return { kind: 'more' };
    const name = utf8(d.subarray(p, i)).toLowerCase();
    const value = utf8(d.subarray(i + 1, d[nl - 1] === 13 ? nl - 1 : nl)).trim();
    headers[name] = value;
    if (name === NEEDLE) {
      if (!/^\d{1,15}$/.test(value)) return { kind: 'bad', why: `bad Content-Length ${JSON.stringify(value.slice(0, 40))}` };
      length = Number(value);
      if (length > maxFrame) return { kind: 'bad', why: `Content-Length ${length} exceeds the limit of ${maxFrame} bytes` };
    }
    p = nl + 1;
  }
  function done(end: number): HeaderResult {
    if (length < 0) return { kind: 'bad', why: 'headers without Content-Length' };
    return { kind: 'ok', headerLen: end - pos, length, headers };
  }
}

export class LspFramer implements Framer {
  private readonly input = new StreamInput();
  /** Skipping garbage: looking for the next "Content-Length". */
  private skipping = false;
  private why = '';

  constructor(
    private readonly maxFrame: number,
    /** Decode each body's text into piece.text. */
    private readonly withText = true,
  ) {}

  push(bytes: Uint8Array): Piece[] {
    let d = this.input.begin(bytes);
    const out: Piece[] = [];
    let pos = 0;
    while (pos < d.length) {
      const shift = this.input.rebase(pos);
      if (shift) {
        pos -= shift;
        d = this.input.data;
      }
      if (this.skipping) {
        // Resync: garbage runs up to the next "Content-Length" (searched from the byte after
        // the bad start). Without one, pass on MAX_HEADER bytes at a time once enough follow to
        // be sure none starts inside them.
        const at = findContentLength(d, pos + 1);
        if (at >= 0 && at - pos <= MAX_HEADER) {
          out.push(this.garbage(pos, at));
          pos = at;
          this.skipping = false;
        } else if (d.length - pos >= MAX_HEADER + NEEDLE.length) {
          out.push(this.garbage(pos, pos + MAX_HEADER));
          pos += MAX_HEADER;
        } else break;
        continue;
      }
      const h = parseHeaders(d, pos, this.maxFrame);
      if (h.kind === 'more') break;
      if (h.kind === 'bad') {
        this.skipping = true;
        this.why = h.why;
        continue;
      }
      const total = h.headerLen + h.length;
      if (d.length - pos < total) break;
      const piece = makePiece(this.input.cut(pos, pos + total), h.headerLen, total);
      piece.meta = h.headers;
      if (this.withText) piece.text = utf8Slice(asBuffer(d), pos + h.headerLen, pos + total);
      out.push(piece);
      pos += total;
    }
    this.input.finish(pos);
    return out;
  }

  end(): Piece[] {
    const wasSkipping = this.skipping;
    this.skipping = false;
    if (this.input.pending === 0) return [];
    const data = this.input.drain();
    if (wasSkipping) return [makePiece(data, 0, data.length, this.why)];
    const h = parseHeaders(data, 0, this.maxFrame);
    const error = h.kind === 'ok' ? `truncated message: Content-Length ${h.length}, got ${data.length - h.headerLen} B` : h.kind === 'bad' ? h.why : 'truncated headers';
    return [makePiece(data, h.kind === 'ok' ? h.headerLen : 0, data.length, error)];
  }

  private garbage(start: number, end: number): Piece {
    return makePiece(this.input.cut(start, end), 0, end - start, this.why);
  }
}

/** Body of an LSP message: parsed JSON (exact integers) or null when it is not JSON. */
export function parseBody(body: Uint8Array, decodedText?: string): { ok: true; value: unknown; text: string } | { ok: false; text: string; why: string } {
  const text = decodedText ?? utf8(body);
  try {
    return { ok: true, value: parseJsonExact(text), text };
  } catch (err) {
    return { ok: false, text, why: err instanceof Error ? err.message : String(err) };
  }
}

function lspFrame(p: Piece, dir: Direction): Frame {
  const body = payloadOf(p);
  const f: Frame = { dir, data: p.data, summary: '', decoded: null, payload: { start: p.start, end: p.end } };
  if (p.error) {
    f.error = p.error;
    f.summary = `${p.data.length} B ${bytesPreview(p.data)}`;
    return f;
  }
  const r = parseBody(body, p.text);
  f.decoded = r.ok ? r.value : r.text;
  f.summary = `Content-Length ${body.length}: ${preview(r.text, 100)}`;
  return f;
}

export const lspDecoder: DecoderInfo = {
  name: 'lsp',
  description: 'LSP/DAP base protocol: Content-Length headers + body (decoded: the JSON body, else its text)',
  create(options?: DecoderOptions) {
    const max = maxFrameOf(options);
    if (isOuter(options)) return new FramedConnDecoder(() => new LspFramer(max, false), bareFrame);
    return new FramedConnDecoder(() => new LspFramer(max), lspFrame);
  },
};
