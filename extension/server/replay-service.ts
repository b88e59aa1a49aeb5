// Replay… : re-send one connection's client side (from a session's capture file or any capture)
// to a target — by default the original endpoint — and mark each response same / different /
// missing. The replayed exchange appears as a new connection in a live session.
import { parseReplayTarget, replayConnection, parseTapSpec, UserError } from '../engine';
import type { ReplayStartParams, ReplayStartResult } from '../shared/requests';
import { decodingOf, type SessionService } from './session-service';

/** The endpoint a tap's clients originally talked to, as a replay target. */
export function originalEndpoint(tapSpec: string): string {
  if (tapSpec.startsWith('replay:')) return tapSpec.slice('replay:'.length);
  const t = parseTapSpec(tapSpec);
  switch (t.kind) {
    case 'tcp':
      return `tcp:${t.targetHost.includes(':') ? `[${t.targetHost}]` : t.targetHost}:${t.targetPort}`;
    case 'unix':
      return t.mode === 'takeover' ? `unix:${t.path}` : `unix:${t.target}`;
    case 'fifo':
      return t.mode === 'takeover' ? `fifo:${t.path}` : `fifo:${t.target}`;
  }
}

export async function startReplay(sessions: SessionService, p: ReplayStartParams): Promise<ReplayStartResult> {
  const source = p.sessionId ? sessions.get(p.sessionId) : undefined;
  const file = p.capturePath ?? source?.capturePath;
  if (!file) throw new UserError('Replay needs a session with a capture file or a capture path');
  let target = p.target?.trim();
  if (!target) {
    const conn = source?.connections().find((c) => c.conn === p.conn);
    if (!conn) throw new UserError(`no connection ${p.conn} in ${source?.name ?? file}: give a target endpoint`);
    if (conn.tap === 'stdio' || conn.tap.startsWith('stdio')) throw new UserError('a stdio stream cannot be replayed to its original endpoint: give a target');
    if (conn.tap.startsWith('shm:')) throw new UserError('a shared memory watch records what changed in memory: there is no exchange to re-send (replay works on connections)');
    target = originalEndpoint(conn.tap);
  }
  const to = parseReplayTarget(target);
  // The new exchange goes into the source session when it is live, otherwise into a new one.
  let host = source?.engine && source.state === 'live' ? source : undefined;
  let created: string | undefined;
  if (!host) {
    const started = await sessions.start({ name: `replay of ${source?.name ?? file} #${p.conn}`, ...decodingOf(source) });
    created = started.id;
    host = sessions.get(started.id);
  }
  let result: Awaited<ReturnType<typeof replayConnection>>;
  try {
    result = await replayConnection({
      file,
      conn: p.conn,
      to,
      session: host.engine!,
      pace: p.pace,
      timeoutMs: p.timeoutMs,
      fromId: p.fromId,
    });
  } catch (err) {
    // Nothing was replayed (the target refused, the capture had nothing to send): no session
    // made for it stays behind.
    if (created) await sessions.close(created);
    throw err;
  }
  host.changed();
  const responses = result.comparisons
    .filter((c) => c.result !== 'extra')
    .map((c) => ({
      index: c.index,
      mark: c.result === 'same' ? ('same' as const) : c.result === 'missing' ? ('missing' as const) : ('different' as const),
      at: c.at,
      originalId: c.original?.id,
      replayedId: c.replayed?.id,
    }));
  const extra = result.comparisons.filter((c) => c.result === 'extra').length;
  return {
    sessionId: host.id,
    conn: result.conn,
    responses,
    allSame: result.ok && extra === 0,
    ...(result.notes.length || extra ? { notes: [...result.notes, ...(extra ? [`${extra} extra response frame(s)`] : [])] } : {}),
  };
}
