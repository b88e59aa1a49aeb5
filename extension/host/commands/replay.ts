// Replay…: a connection of the current session or of a capture file → a target (default the
// original endpoint) → pacing. The replayed exchange is a new connection; each response is
// marked same / different (with a diff view) / missing.
import { plural } from '../../shared/plural';
import * as vscode from 'vscode';
import * as P from '../../shared/requests';
import { EngineUserError, showEngineError } from '../engine-client';
import { formatBytes } from '../sessions-tree';
import type { Services } from '../services';
import { ask, pick } from '../ask';

function connOf(arg: unknown): { sessionId: string; conn: number } | undefined {
  const a = arg as { sessionId?: string; connection?: { conn: number }; conn?: number } | undefined;
  if (a?.sessionId && a.connection) return { sessionId: a.sessionId, conn: a.connection.conn };
  if (a?.sessionId && typeof a.conn === 'number') return { sessionId: a.sessionId, conn: a.conn };
  return undefined;
}

export async function replayCommand(svc: Services, arg?: unknown): Promise<P.ReplayStartResult | undefined> {
  try {
    let source = connOf(arg);
    if (!source) {
      let session: P.SessionSummary | undefined;
      const fromFile = '$(file) From a capture file…';
      const sessions = svc.model.list();
      const from = await pick(
        [...sessions.map((s) => ({ label: s.name, description: `${s.state} · ${plural(s.connections, 'connection')}`, s })), { label: fromFile, s: undefined }],
        { placeHolder: 'Replay a connection of…' },
      );
      if (!from) return;
      if (from.s) session = from.s;
      else {
        const uris = await vscode.window.showOpenDialog({ filters: { 'IPC Tap capture': ['ipctap'] }, canSelectMany: false });
        if (!uris?.[0]) return;
        session = await svc.engine.request(P.CaptureOpen, { path: uris[0].fsPath });
        svc.model.put(session, false);
      }
      const detail = await svc.engine.request(P.SessionGet, { sessionId: session.id });
      const conns = detail.connectionList.filter((c) => c.frames > 0 && !c.tap.startsWith('stdio'));
      if (!conns.length) {
        void vscode.window.showInformationMessage(`${session.name} has no socket, FIFO or TCP connection with frames to replay.`);
        return;
      }
      const c = await pick(
        conns.map((c) => ({
          label: `connection ${c.conn}`,
          description: c.tap,
          detail: `${plural(c.frames, 'frame')} · ${formatBytes(c.bytes)}${c.from ? ` · ${c.from} → ${c.to}` : ''}`,
          c,
        })),
        { placeHolder: 'Connection to replay (its client side is sent again)' },
      );
      if (!c) return;
      source = { sessionId: session.id, conn: c.c.conn };
    }
    const target = await ask({
      title: `Replay connection ${source.conn}`,
      prompt: 'Target endpoint (unix:PATH, tcp:HOST:PORT, fifo:PATH); empty = the original endpoint',
      placeHolder: 'the original endpoint',
      validateInput: (v) => (!v.trim() || /^(unix|tcp|fifo):.+/.test(v.trim()) ? undefined : 'expected unix:PATH, tcp:HOST:PORT or fifo:PATH'),
    });
    if (target === undefined) return;
    const pace = await pick(
      [
        { label: 'Wait for the responses', description: 'default: send each request once the server has answered as much as it did originally', pace: 'responses' as const },
        { label: 'Original timing', description: 'reproduce the captured gaps between requests', pace: 'original' as const },
      ],
      { placeHolder: 'Pacing' },
    );
    if (!pace) return;
    const from = source;
    let result: P.ReplayStartResult;
    try {
      result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `IPC Tap: replaying connection ${from.conn}…` }, () =>
        svc.engine.request(P.ReplayStart, { sessionId: from.sessionId, conn: from.conn, target: target.trim() || undefined, pace: pace.pace }),
      );
    } catch (err) {
      void showReplayFailure(svc, err, from);
      return undefined;
    }
    await showReplayResult(svc, result);
    return result;
  } catch (err) {
    showEngineError(err, 'replay', svc.output);
    return undefined;
  }
}

export const CHOOSE_TARGET = 'Choose Another Target…';
export const START_SERVER = 'Start the Server…';

/** A replay that could not run (nothing listening, bad target): an error with the ways on. */
export async function showReplayFailure(svc: Services, err: unknown, source: { sessionId: string; conn: number }): Promise<void> {
  if (!(err instanceof EngineUserError)) {
    showEngineError(err, 'replay', svc.output);
    return;
  }
  const pick = await vscode.window.showErrorMessage(`IPC Tap: could not replay connection ${source.conn}: ${err.message}`, CHOOSE_TARGET, START_SERVER);
  if (pick === CHOOSE_TARGET) await vscode.commands.executeCommand('ipctap.replayConnection', source);
  else if (pick === START_SERVER) await vscode.commands.executeCommand('ipctap.launch');
}

export async function showReplayResult(svc: Services, r: P.ReplayStartResult): Promise<void> {
  const count = (m: string) => r.responses.filter((x) => x.mark === m).length;
  const same = count('same');
  const diff = count('different');
  const missing = count('missing');
  const notes = r.notes?.length ? ` ${r.notes.join('; ')}` : '';
  const text =
    (r.allSame
      ? `Replay: all ${same} response${same === 1 ? '' : 's'} the same (connection ${r.conn}).`
      : `Replay (connection ${r.conn}): ${same} same, ${diff} different, ${missing} missing.`) + notes;
  const actions = ['Show in Panel', ...(diff ? ['Show Differences'] : [])];
  const pick = await (r.allSame ? vscode.window.showInformationMessage(text, ...actions) : vscode.window.showWarningMessage(text, ...actions));
  if (pick === 'Show in Panel') await svc.panels.show(r.sessionId, { conn: r.conn });
  if (pick === 'Show Differences') await showDifferences(svc, r);
}

/** A diff view of the differing responses: original on the left, replayed on the right. */
async function showDifferences(svc: Services, r: P.ReplayStartResult): Promise<void> {
  const render = async (ids: (number | undefined)[]) => {
    const parts: string[] = [];
    for (const id of ids) {
      if (id === undefined) {
        parts.push('(missing)\n');
        continue;
      }
      const found = await svc.engine.request(P.RowsFind, { sessionId: r.sessionId, id });
      const row = found.row;
      if (!row || row.type !== 'frame') parts.push(`#${id} (not in this session)\n`);
      else
        parts.push(
          `${row.summary}\n${row.decodedJson}\n${Buffer.from(row.data, 'base64')
            .toString('hex')
            .replace(/(.{32})/g, '$1\n')}\n`,
        );
    }
    return parts.join('\n');
  };
  const differing = r.responses.filter((x) => x.mark === 'different');
  const left = await vscode.workspace.openTextDocument({ content: await render(differing.map((d) => d.originalId)), language: 'plaintext' });
  const right = await vscode.workspace.openTextDocument({ content: await render(differing.map((d) => d.replayedId)), language: 'plaintext' });
  await vscode.commands.executeCommand('vscode.diff', left.uri, right.uri, `Replay of connection ${r.conn}: original ↔ replayed`);
}
