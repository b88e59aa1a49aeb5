// Edit and Send…: a client frame of a session's capture opened as its decoded value (or its bytes
// as hex), and the edited message sent on a fresh connection after the connection's setup; the
// answers are captured as a new connection (in the session when live, else in a new session) and
// returned beside the original ones.
import { editableText, editedBytes, loadEditableFrame, parseReplayTarget, sendEdited, UserError } from '../engine';
import type * as P from '../shared/requests';
import { originalEndpoint } from './replay-service';
import { decodingOf, type SessionService } from './session-service';
import { pairsText } from './sides';

function captureOf(sessions: SessionService, sessionId: string): string {
  const s = sessions.get(sessionId);
  if (!s.capturePath) throw new UserError(`session ${s.name} has no capture file`);
  return s.capturePath;
}

export async function prepareEdit(sessions: SessionService, p: P.EditPrepareParams): Promise<P.EditPrepareResult> {
  const e = await loadEditableFrame(captureOf(sessions, p.sessionId), p.id, { decoderOptions: sessions.get(p.sessionId).decoderOptions });
  const f = e.frame;
  const { text, encodable } = editableText(e);
  const conn = sessions
    .get(p.sessionId)
    .connections()
    .find((c) => c.conn === f.conn);
  const out: P.EditPrepareResult = { text, summary: f.summary, proto: f.proto, encodable };
  const stdio = /^stdio:(\d+)$/.exec(conn?.tap ?? '');
  if (stdio) {
    // A process's stdio (a language server run with --stdio): a fresh run of its command.
    const command = sessions
      .get(p.sessionId)
      .processes()
      .find((x) => x.pid === Number(stdio[1]))?.command;
    if (command?.length) out.target = `exec:${JSON.stringify(command)}`;
  } else if (conn && !conn.tap.startsWith('stdio') && !conn.tap.startsWith('shm:') && conn.tap !== 'trace') {
    try {
      out.target = originalEndpoint(conn.tap);
    } catch {
      // (a tap whose endpoint is not known: the user gives one)
    }
  }
  return out;
}

export async function sendEdit(sessions: SessionService, p: P.EditSendParams): Promise<P.EditSendResult> {
  const source = sessions.get(p.sessionId);
  const file = captureOf(sessions, p.sessionId);
  const to = parseReplayTarget(p.target);
  // (decoded, and encoded back, with the session's .proto files: a typed gRPC message by its method)
  const typing = decodingOf(source);
  const e = await loadEditableFrame(file, p.id, { decoderOptions: source.decoderOptions });
  const bytes = editedBytes(
    e,
    p.hex !== undefined ? { hex: p.hex } : { json: p.value ?? '' },
    { protoFiles: typing.protoFiles, protoType: typing.protoType },
    { notHex: 'the edited bytes are not pairs of hex digits', notJson: (m) => `the edited message is not JSON: ${m}` },
  );
  // The new exchange goes into the source session when it is live, otherwise into a new one.
  let host = source.engine && source.state === 'live' ? source : undefined;
  let created: string | undefined;
  if (!host) {
    const started = await sessions.start({ name: `edited #${p.id} of ${source.name}`, ...decodingOf(source) });
    created = started.id;
    host = sessions.get(started.id);
  }
  let r: Awaited<ReturnType<typeof sendEdited>>;
  try {
    r = await sendEdited({ file, edit: e, bytes, to, session: host.engine!, timeoutMs: p.timeoutMs });
  } catch (err) {
    if (created) await sessions.close(created);
    throw err;
  }
  host.changed();
  // (whitespace a server writes between messages is not an answer)
  const blank = (x: { data: Uint8Array } | undefined) => x !== undefined && Buffer.from(x.data).toString('latin1').trim() === '';
  const cs = r.comparisons.filter((c) => !(c.result === 'extra' && blank(c.replayed)));
  const count = (k: string) => cs.filter((c) => c.result === k).length;
  const out: P.EditSendResult = {
    sessionId: host.id,
    conn: r.conn,
    sent: r.sent,
    total: r.total,
    editedSent: r.editedSent,
    same: count('same'),
    different: count('differs'),
    missing: count('missing'),
    extra: count('extra'),
    sides: pairsText(cs.map((c) => ({ a: c.original, b: c.replayed }))),
  };
  if (r.notes.length) out.notes = r.notes;
  return out;
}
