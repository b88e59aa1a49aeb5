// "Edit and Send": a captured client frame, edited (a decoded value encoded back in the frame's
// protocol, or raw bytes), sent on a fresh connection after the connection's earlier client
// frames (so whatever the protocol sets up first — type definitions, a handshake, settings — is
// there); a gRPC message goes as a new call, with the call's other request messages (a client or
// bidi stream) as captured, each after as many of the server's answers as in the capture. The
// answers are compared with the original ones.
import { readCaptureRows } from '../read';
import type { DecodeChoice } from '../rows';
import type { Session } from '../session';
import type { FrameRow } from '../types';
import { UserError } from '../util/errors';
import { parseJsonExact, toJson } from '../util/json';
import { prettyJson } from '../util/json-pretty';
import { canEncode, encodeValue, type ProtobufTyping } from './encode';
import { encodeGrpcMessage } from './encode-grpc';
import { answersBefore, sendGrpcCall } from './grpc-send';
import { replayConnection, type Comparison, type ReplayTarget } from './replay';

/** A capture's frame with what editing it needs: the earlier bytes its side sent on the connection
 *  (gob's types), the request headers of its HTTP/2 stream and the other side's frames on it. */
export interface EditableFrame {
  frame: FrameRow;
  before: Uint8Array[];
  requestHeaders?: [string, string][];
  later: FrameRow[];
  /** A gRPC message's call: the request messages of its stream in order, itself included. */
  callMessages?: FrameRow[];
}

const isGrpcMessage = (f: FrameRow) => /(^|\+)grpc$/.test(f.proto) && (f.decoded as { kind?: unknown } | null)?.kind === 'message';

export async function loadEditableFrame(file: string, id: number, choice: DecodeChoice): Promise<EditableFrame> {
  let frame: FrameRow | undefined;
  const before = new Map<string, Uint8Array[]>();
  const headers = new Map<string, [string, string][]>();
  /** The server's frames by connection and HTTP/2 stream. */
  const answers = new Map<string, FrameRow[]>();
  /** gRPC request messages by connection and stream. */
  const calls = new Map<string, FrameRow[]>();
  const streamOf = (r: FrameRow) => (r.decoded as { stream?: unknown } | null)?.stream;
  const callKey = (r: FrameRow) => `${r.conn}\0${String(streamOf(r))}`;
  const add = (m: Map<string, FrameRow[]>, k: string, row: FrameRow) => {
    const l = m.get(k);
    if (l) l.push(row);
    else m.set(k, [row]);
  };
  for await (const row of readCaptureRows(file, choice)) {
    if (row.type !== 'frame') continue;
    if (frame) {
      // (only HTTP/2 needs what follows: the answer on the frame's stream, the call's other
      // request messages)
      if (!/grpc|http2/.test(frame.proto)) break;
      if (row.conn === frame.conn && row.dir !== frame.dir) {
        if (streamOf(row) === streamOf(frame)) add(answers, callKey(frame), row);
      } else if (isGrpcMessage(row) && callKey(row) === callKey(frame)) add(calls, callKey(frame), row);
      continue;
    }
    if (isGrpcMessage(row) && (row.dir === 'c2s' || row.dir === 'stdin')) add(calls, callKey(row), row);
    else if (streamOf(row) !== undefined && /grpc|http2/.test(row.proto) && row.dir !== 'c2s' && row.dir !== 'stdin') {
      // (a streaming call's answers to its earlier messages)
      add(answers, callKey(row), row);
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
    later: answers.get(callKey(frame)) ?? [],
  };
  const h = headers.get(`${frame.conn}\0${String(stream)}`);
  if (h) out.requestHeaders = h;
  if (isGrpcMessage(frame)) out.callMessages = calls.get(callKey(frame)) ?? [frame];
  return out;
}

/** What the user edits for a frame: its decoded value as indented JSON when its protocol can be
 *  encoded back (encodable), else its bytes as hex, 32 to a line. */
export function editableText(e: EditableFrame): { text: string; encodable: boolean } {
  const f = e.frame;
  const encodable = f.decoded !== undefined && f.decoded !== null && (canEncode(f.proto) || isGrpcMessage(f));
  if (encodable) return { text: prettyJson(toJson(f.decoded)) + '\n', encodable };
  return { text: hexLines(f.data) + '\n', encodable };
}

/** Bytes as hex, 32 to a line. */
function hexLines(data: Uint8Array): string {
  return Buffer.from(data)
    .toString('hex')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
}

/** How a front end words its refusals of an edit (as its user knows the edit). */
export interface EditRefusals {
  notHex: string;
  notJson: (reason: string) => string;
  /** The error made of the message (default a UserError). */
  error?: (message: string) => UserError;
}

/**
 * The bytes an edit of a frame stands for (the inverse of editableText): `hex`, pairs of hex
 * digits (whitespace ignored), or `json`, the decoded value encoded back in the frame's protocol
 * with `schema` (see encodeEdited). Refused with a UserError worded by `refusals`.
 */
export function editedBytes(e: EditableFrame, edit: { hex: string } | { json: string }, schema: ProtobufTyping, refusals: EditRefusals): Uint8Array {
  const refuse = refusals.error ?? ((m: string) => new UserError(m));
  if ('hex' in edit) {
    const clean = edit.hex.replace(/\s+/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw refuse(refusals.notHex);
    return Buffer.from(clean, 'hex');
  }
  let value: unknown;
  try {
    value = parseJsonExact(edit.json);
  } catch (err) {
    throw refuse(refusals.notJson((err as Error).message));
  }
  return encodeEdited(e, value, schema);
}

/** The edited value's bytes in the frame's protocol; `schema` is the .proto files (a gRPC
 *  method's types) and the message type (a protobuf frame's) the capture was read with. */
export function encodeEdited(e: EditableFrame, value: unknown, schema: ProtobufTyping = {}): Uint8Array {
  return isGrpcMessage(e.frame) ? encodeGrpcMessage(value, e.frame.decoded, schema.protoFiles) : encodeValue(e.frame.proto, value, e.frame.data, e.before, schema);
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
  /** Client frames sent, of `total` (the frames up to the edited one; for a gRPC call, its request
   *  messages): fewer when the server stopped answering, ended the call or closed the connection
   *  first. */
  sent: number;
  total: number;
  /** Whether the edited message itself went. */
  editedSent: boolean;
  grpc: boolean;
  /** A gRPC call: its request messages and the edited one's position (from 1). */
  call?: { messages: number; edited: number };
  comparisons: Comparison[];
  notes: string[];
}

export async function sendEdited(o: SendEditedOptions): Promise<SendEditedResult> {
  const f = o.edit.frame;
  const timeoutMs = o.timeoutMs ?? 5000;
  if (isGrpcMessage(f)) {
    if (!o.edit.requestHeaders) throw new UserError(`the request headers of this message's stream are not in the capture: the call cannot be sent again`);
    const call = o.edit.callMessages ?? [f];
    const r = await sendGrpcCall({
      to: o.to,
      headers: o.edit.requestHeaders,
      messages: call.map((m) => (m.id === f.id ? o.bytes : m.data)),
      session: o.session,
      timeoutMs,
      original: o.edit.later,
      label: `frame #${f.id} of ${o.file}, edited`,
      // (a conversation in turns stays one: each request after the answers it followed)
      answersBefore: answersBefore(call, o.edit.later),
    });
    const at = call.findIndex((m) => m.id === f.id);
    const editedSent = r.sent > at;
    if (!editedSent) r.notes.push(`the edited message, request ${at + 1}, was not sent`);
    return { ...r, total: call.length, editedSent, grpc: true, call: { messages: call.length, edited: at + 1 } };
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
  // (the edited frame is the last one sent)
  return { conn: r.conn, sent: r.sent, total: r.total, editedSent: r.sent === r.total, grpc: false, comparisons: r.comparisons, notes: r.notes };
}
