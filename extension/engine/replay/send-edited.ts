// "Edit and Send": a captured client frame, edited (a decoded value encoded back in the frame's
// protocol, or raw bytes), sent on a fresh connection after the connection's earlier client
// frames (so whatever the protocol sets up first — type definitions, a handshake, settings — is
// there); gRPC messages go as a new unary call. The answers are compared with the original ones.
import { readCaptureRows } from '../read';
import type { DecodeChoice } from '../rows';
import type { Session } from '../session';
import type { FrameRow } from '../types';
import { UserError } from '../util/errors';
import { encodeValue } from './encode';
import { encodeGrpcMessage } from './encode-grpc';
import { sendGrpcCall } from './grpc-send';
import { replayConnection, type Comparison, type ReplayTarget } from './replay';

/** A capture's frame with what editing it needs: the earlier bytes its side sent on the connection
 *  (gob's types), the request headers of its HTTP/2 stream and the other side's later frames. */
export interface EditableFrame {
  frame: FrameRow;
  before: Uint8Array[];
  requestHeaders?: [string, string][];
  later: FrameRow[];
}

const isGrpcMessage = (f: FrameRow) => /(^|\+)grpc$/.test(f.proto) && (f.decoded as { kind?: unknown } | null)?.kind === 'message';

export async function loadEditableFrame(file: string, id: number, choice: DecodeChoice): Promise<EditableFrame> {
  let frame: FrameRow | undefined;
  const before = new Map<string, Uint8Array[]>();
  const headers = new Map<string, [string, string][]>();
  const later: FrameRow[] = [];
  for await (const row of readCaptureRows(file, choice)) {
    if (row.type !== 'frame') continue;
    if (frame) {
      // (only HTTP/2 needs what follows: the answer on the frame's stream)
      if (!/grpc|http2/.test(frame.proto)) break;
      if (row.conn === frame.conn && row.dir !== frame.dir) later.push(row);
      continue;
    }
    if (row.id === id) {
      frame = row;
      continue;
    }
    const hd = row.decoded as { kind?: unknown; role?: unknown; stream?: unknown; headers?: unknown } | null;
    if (hd?.kind === 'headers' && hd.role === 'request' && Array.isArray(hd.headers)) headers.set(`${row.conn}\0${String(hd.stream)}`, hd.headers as [string, string][]);
    const k = `${row.conn}\0${row.dir}`;
    let l = before.get(k);
    if (!l) before.set(k, (l = []));
    l.push(row.data);
  }
  if (!frame) throw new UserError(`no frame #${id} in ${file}`);
  if (frame.dir !== 'c2s' && frame.dir !== 'stdin') throw new UserError(`frame #${id} was sent by the server (${frame.dir}): edit a client frame`);
  const stream = (frame.decoded as { stream?: unknown } | null)?.stream;
  const out: EditableFrame = {
    frame,
    before: before.get(`${frame.conn}\0${frame.dir}`) ?? [],
    later: later.filter((r) => (r.decoded as { stream?: unknown } | null)?.stream === stream),
  };
  const h = headers.get(`${frame.conn}\0${String(stream)}`);
  if (h) out.requestHeaders = h;
  return out;
}

/** The edited value's bytes in the frame's protocol. */
export function encodeEdited(e: EditableFrame, value: unknown, protoFiles?: string[]): Uint8Array {
  return isGrpcMessage(e.frame) ? encodeGrpcMessage(value, e.frame.decoded, protoFiles) : encodeValue(e.frame.proto, value, e.frame.data, e.before);
}

export interface SendEditedOptions extends DecodeChoice {
  file: string;
  edit: EditableFrame;
  bytes: Uint8Array;
  to: ReplayTarget;
  session: Session;
  timeoutMs?: number;
}

export interface SendEditedResult {
  /** The connection of the new exchange in the session. */
  conn: number;
  /** Client frames sent (the edited one included); 1 for a gRPC call. */
  sent: number;
  grpc: boolean;
  comparisons: Comparison[];
  notes: string[];
}

export async function sendEdited(o: SendEditedOptions): Promise<SendEditedResult> {
  const f = o.edit.frame;
  const timeoutMs = o.timeoutMs ?? 5000;
  if (isGrpcMessage(f)) {
    if (!o.edit.requestHeaders) throw new UserError(`the request headers of this message's stream are not in the capture: the call cannot be sent again`);
    const r = await sendGrpcCall({
      to: o.to,
      headers: o.edit.requestHeaders,
      message: o.bytes,
      session: o.session,
      timeoutMs,
      original: o.edit.later,
      label: `frame #${f.id} of ${o.file}, edited`,
    });
    return { ...r, sent: 1, grpc: true };
  }
  const r = await replayConnection({
    file: o.file,
    conn: f.conn,
    to: o.to,
    timeoutMs,
    session: o.session,
    decode: o.decode,
    decodeByTap: o.decodeByTap,
    decoderOptions: o.decoderOptions,
    untilId: f.id,
    edits: new Map([[f.id, o.bytes]]),
  });
  return { conn: r.conn, sent: r.sent, grpc: false, comparisons: r.comparisons, notes: r.notes };
}
