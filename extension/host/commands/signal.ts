// Send Signal…: a process of the sessions (or any pid), then a signal with its one-line
// description; SIGKILL asks first. What the process did (wrote output, exited, stopped) is shown.
import * as vscode from 'vscode';
import * as P from '../../shared/requests';
import { showEngineError } from '../engine-client';
import { processDescription } from '../sessions-tree';
import type { Services } from '../services';
import { ask, pick } from '../ask';

/** Offered first, in this order; the rest of the table follows. */
const COMMON = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGSTOP', 'SIGCONT', 'SIGKILL', 'SIGWINCH'];

export interface SignalTarget {
  pid: number;
  sessionId?: string;
  name?: string;
}

/** A target from a command argument: a process tree node, {pid, sessionId}, or a pid. */
function targetOf(arg: unknown): SignalTarget | undefined {
  if (typeof arg === 'number') return { pid: arg };
  const a = arg as { type?: string; sessionId?: string; process?: P.ProcessInfo; pid?: number } | undefined;
  if (a?.process) return { pid: a.process.pid, sessionId: a.sessionId, name: a.process.name };
  if (typeof a?.pid === 'number') return { pid: a.pid, sessionId: a.sessionId };
  return undefined;
}

async function pickTarget(svc: Services): Promise<SignalTarget | undefined> {
  type Item = vscode.QuickPickItem & { t?: SignalTarget; other?: boolean };
  const items: Item[] = [];
  for (const s of svc.model.list()) {
    for (const p of s.processes) {
      if (p.state === 'exited') continue;
      items.push({
        label: `${p.name}`,
        description: `pid ${p.pid} · ${processDescription(p)}`,
        detail: `${s.name}: ${p.command.join(' ')}`,
        t: { pid: p.pid, sessionId: s.id, name: p.name },
      });
    }
  }
  items.push({ label: '$(search) Other process by PID…', other: true });
  const picked = await pick(items, { placeHolder: 'Process to signal', matchOnDescription: true });
  if (!picked) return undefined;
  if (!picked.other) return picked.t;
  const pid = await ask({
    prompt: 'Process id',
    validateInput: (v) => (/^\s*\d+\s*$/.test(v) && Number(v) > 1 ? undefined : 'A process id is a positive integer (not 0 or 1)'),
  });
  return pid ? { pid: Number(pid) } : undefined;
}

export async function pickSignal(svc: Services, title: string): Promise<string | undefined> {
  const all = await svc.engine.request(P.SignalList, {});
  const byName = new Map(all.map((s) => [s.name, s]));
  const first = COMMON.map((n) => byName.get(n)).filter((s): s is P.SignalDescription => !!s);
  const rest = all.filter((s) => !COMMON.includes(s.name));
  const item = (s: P.SignalDescription) => ({ label: s.name, description: `${s.number}`, detail: s.description, name: s.name });
  const picked = await pick([...first.map(item), { label: 'more', kind: vscode.QuickPickItemKind.Separator, name: '' }, ...rest.map(item)], {
    placeHolder: `Signal to send to ${title}`,
    matchOnDetail: true,
  });
  return picked?.name || undefined;
}

export async function confirmSignal(signal: string, title: string): Promise<boolean> {
  if (signal !== 'SIGKILL') return true;
  const ok = await vscode.window.showWarningMessage(`Send SIGKILL to ${title}? It ends the process at once: no cleanup, nothing flushed.`, { modal: true }, 'Send SIGKILL');
  return ok === 'Send SIGKILL';
}

export async function sendSignalCommand(svc: Services, arg?: unknown, signalArg?: string): Promise<void> {
  const target = targetOf(arg) ?? (await pickTarget(svc));
  if (!target) return;
  const title = target.name ? `${target.name} (${target.pid})` : `pid ${target.pid}`;
  try {
    const signal = signalArg ?? (await pickSignal(svc, title));
    if (!signal || !(await confirmSignal(signal, title))) return;
    const r = await svc.engine.request(P.SignalSend, { pid: target.pid, signal, sessionId: target.sessionId });
    void vscode.window.showInformationMessage(`${signal} → ${title}: ${r.outcome}`);
  } catch (err) {
    showEngineError(err, 'sending the signal', svc.output);
  }
}
