// What the Sessions view shows of the sessions, as one string (no 'vscode' here: unit-tested).
// The view is refreshed only when this changes: VS Code's tree view takes the keyboard focus back
// at the end of each refresh while it believes it has it, so a refresh for nothing (another
// session made active, a notice that changed nothing shown) could take the focus from a command
// palette the user opened meanwhile.
import type { SessionSummary } from '../shared/requests';

export function treeContent(sessions: readonly SessionSummary[]): string {
  return JSON.stringify(
    sessions.map((s) => [
      s.id,
      s.name,
      s.state,
      s.frames,
      s.connections,
      // (Events too: a connection closing changes its line.)
      s.rows,
      s.capturePath ?? '',
      s.processes.map((p) => [p.pid, p.name, p.state, p.code ?? null, p.signal ?? null]),
      s.taps.map((t) => [t.spec, t.name ?? '', t.address ?? '', t.kind]),
    ]),
  );
}
