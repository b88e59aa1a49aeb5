// Choosing the session a command acts on, as VS Code's debug toolbar does: the one the command
// was invoked on (a tree node, a panel), else the panel in front of the user, else the session
// selected in the Sessions view, else the only one, else a QuickPick.
import { plural } from '../../shared/plural';
import * as vscode from 'vscode';
import type * as P from '../../shared/requests';
import type { Services } from '../services';
import { chooseSession } from '../choose-session';
import { pick } from '../ask';

export async function pickSession(
  svc: Services,
  opts: { arg?: unknown; filter?: (s: P.SessionSummary) => boolean; placeHolder?: string } = {},
): Promise<P.SessionSummary | undefined> {
  const fromArg = sessionIdOf(opts.arg);
  if (fromArg) return svc.model.get(fromArg);
  const list = svc.model.list().filter(opts.filter ?? (() => true));
  if (list.length === 0) {
    void vscode.window.showInformationMessage('IPC Tap: no session. Start one with "IPC Tap: Launch and Tap…" or "IPC Tap: Open Capture…".');
    return undefined;
  }
  const chosen = chooseSession(list, svc.panels.activeSessionId?.(), svc.model.treeSelectedId);
  if (chosen) return chosen;
  const picked = await pick(
    list.map((s) => ({ label: s.name, description: `${s.state} · ${plural(s.frames, 'frame')}`, detail: s.capturePath, s })),
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
