// The host's view of the engine's sessions: summaries kept up to date from session/changed
// notices, and which session is the active one (the status bar, Send Signal, Save...).
import * as vscode from 'vscode';
import * as P from '../shared/requests';
import type { EngineClient } from './engine-client';

export class SessionModel implements vscode.Disposable {
  private readonly sessions = new Map<string, P.SessionSummary>();
  private activeId: string | undefined;
  /** The session selected in the Sessions view (a session node or anything under it). */
  treeSelectedId: string | undefined;
  private readonly emitter = new vscode.EventEmitter<P.SessionChangedParams | undefined>();
  private readonly subs: vscode.Disposable[] = [];
  /** Fires on every change (undefined: the whole list changed). */
  readonly onDidChange = this.emitter.event;

  constructor(private readonly engine: EngineClient) {
    this.subs.push(
      engine.onSessionChanged((p) => this.apply(p)),
      engine.onRestarted((map) => {
        const active = this.activeId ? map.get(this.activeId) : undefined;
        this.sessions.clear();
        void this.refresh().then(() => {
          if (active) this.activeId = active;
          this.emitter.fire(undefined);
        });
      }),
    );
  }

  apply(p: P.SessionChangedParams): void {
    if (p.removed) {
      this.sessions.delete(p.sessionId);
      if (this.treeSelectedId === p.sessionId) this.treeSelectedId = undefined;
      if (this.activeId === p.sessionId) this.activeId = [...this.sessions.keys()].pop();
    } else if (p.summary) {
      const isNew = !this.sessions.has(p.sessionId);
      this.sessions.set(p.sessionId, p.summary);
      if (isNew && !this.activeId) this.activeId = p.sessionId;
    }
    this.emitter.fire(p);
  }

  async refresh(): Promise<void> {
    const list = await this.engine.request(P.SessionList, {});
    this.sessions.clear();
    for (const s of list) this.sessions.set(s.id, s);
    if (this.activeId && !this.sessions.has(this.activeId)) this.activeId = list[list.length - 1]?.id;
    this.emitter.fire(undefined);
  }

  /** Record a summary returned by a request (before its first notice arrives). */
  put(s: P.SessionSummary, makeActive = true): void {
    this.sessions.set(s.id, s);
    if (makeActive) this.activeId = s.id;
    this.emitter.fire({ sessionId: s.id, summary: s });
  }

  list(): P.SessionSummary[] {
    return [...this.sessions.values()];
  }

  get(id: string): P.SessionSummary | undefined {
    return this.sessions.get(id);
  }

  get active(): P.SessionSummary | undefined {
    return this.activeId ? this.sessions.get(this.activeId) : undefined;
  }

  setActive(id: string): void {
    if (this.sessions.has(id) && this.activeId !== id) {
      this.activeId = id;
      this.emitter.fire(undefined);
    }
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}
