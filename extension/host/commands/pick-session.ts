// Choosing a session: the one a command was invoked on, the only one, or a QuickPick.
import * as vscode from 'vscode';
import type * as P from '../../protocol/requests';
import type { Services } from '../services';

export async function pickSession(
  svc: Services,
  opts: { arg?: unknown; filter?: (s: P.SessionSummary) => boolean; placeHolder?: string; preferActive?: boolean } = {},
): Promise<P.SessionSummary | undefined> {
  const fromArg = sessionIdOf(opts.arg);
  if (fromArg) return svc.model.get(fromArg);
  const list = svc.model.list().filter(opts.filter ?? (() => true));
  if (list.length === 0) {
    void vscode.window.showInformationMessage('IPC Tap: no session. Start one with "IPC Tap: Launch and Tap…" or "IPC Tap: Open Capture…".');
    return undefined;
  }
  const active = svc.model.active;
  if (opts.preferActive !== false && active && list.some((s) => s.id === active.id)) return active;
  if (list.length === 1) return list[0];
  const picked = await vscode.window.showQuickPick(
    list.map((s) => ({ label: s.name, description: `${s.state} · ${s.frames} frames`, detail: s.capturePath, s })),
    { placeHolder: opts.placeHolder ?? 'Session' },
  );
  return picked?.s;
}

/** A session id from a command argument: a tree node, {sessionId}, or an id string. */
export function sessionIdOf(arg: unknown): string | undefined {
  if (!arg) return undefined;
  if (typeof arg === 'string') return arg;
  const a = arg as { sessionId?: string; session?: { id: string } };
  return a.sessionId ?? a.session?.id;
}
