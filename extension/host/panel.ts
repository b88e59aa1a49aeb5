// The panel's host-side shell: creates (or adopts) the webview, serves its requests through a
// PanelBackend, forwards live notices (coalesced), and restores panels after a window reload.
//
//   const panels = new PanelManager(context, backend);   // also registers the serializer
//   await panels.show(sessionId, { rowId, conn });          // open or reveal; optionally reveal a row
//   await panels.adopt(webviewPanel, sessionId);            // custom editor for .ipctap files
import * as vscode from 'vscode';
import type { SessionChangedParams, SessionSummary } from '../shared/requests';
import { PANEL_VIEW_TYPE, type HostToWebview, type PanelState, type WebviewToHost } from '../shared/webview';
import type { PanelBackend } from './panel-backend';
import { panelHtml } from './panel-html';

export { PANEL_VIEW_TYPE };
export type { PanelBackend };

/** Live notices reach the webview at most this often. */
const CHANGED_INTERVAL_MS = 100;

export interface ShowOptions {
  /** Select and scroll to this row. */
  rowId?: number;
  /** Show this connection as a conversation. */
  conn?: number;
  /** Keep the keyboard focus where it is (a click in the Sessions view). */
  preserveFocus?: boolean;
}

export class PanelManager implements vscode.Disposable {
  private readonly hosts = new Set<PanelHost>();
  private readonly subs: vscode.Disposable[] = [];
  private readonly activated = new vscode.EventEmitter<string>();

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly backend: PanelBackend,
    opts: { serializer?: boolean } = {},
  ) {
    if (opts.serializer !== false) {
      this.subs.push(
        vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
          deserializeWebviewPanel: (panel, state) => this.restore(panel, state),
        }),
      );
    }
    if (backend.onRestarted) {
      this.subs.push(
        backend.onRestarted((map) => {
          for (const h of this.hosts) {
            const now = map.get(h.sessionId);
            if (now) h.rebind(now);
            else void h.recheck();
          }
        }),
      );
    }
  }

  /** Open the panel for a session, or reveal the open one. */
  async show(sessionId: string, opts: ShowOptions = {}): Promise<void> {
    let host = [...this.hosts].find((h) => h.sessionId === sessionId && h.kind === 'panel');
    if (host) {
      host.panel.reveal(undefined, opts.preserveFocus === true);
    } else {
      const panel = vscode.window.createWebviewPanel(
        PANEL_VIEW_TYPE,
        'IPC Tap',
        { viewColumn: vscode.ViewColumn.Active, preserveFocus: opts.preserveFocus === true },
        {
          ...this.webviewOptions(),
          retainContextWhenHidden: false,
          enableFindWidget: false,
        },
      );
      host = this.attach(panel, sessionId, 'panel');
    }
    if (opts.conn !== undefined) host.post({ type: 'follow', conn: opts.conn });
    if (opts.rowId !== undefined) host.post({ type: 'reveal', rowId: opts.rowId });
  }

  /** Take over a webview created by VS Code (custom editor for a capture file). */
  async adopt(panel: vscode.WebviewPanel, sessionId: string): Promise<void> {
    this.attach(panel, sessionId, 'editor');
  }

  /** The session of the panel or capture editor in front of the user (the active editor). */
  activeSessionId(): string | undefined {
    for (const h of this.hosts) if (h.sessionId && h.panel.active) return h.sessionId;
    return undefined;
  }

  /** Fires with a panel's session when that panel becomes the active editor. */
  readonly onDidActivate = this.activated.event;

  /** Open panels, for "Reveal in Panel" and tests. */
  panelsFor(sessionId: string): readonly PanelHost[] {
    return [...this.hosts].filter((h) => h.sessionId === sessionId);
  }

  webviewOptions(): vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist')] };
  }

  private attach(panel: vscode.WebviewPanel, sessionId: string, kind: 'panel' | 'editor', restored?: PanelState): PanelHost {
    const host = new PanelHost(this, panel, sessionId, kind, restored);
    this.hosts.add(host);
    panel.onDidDispose(() => {
      this.hosts.delete(host);
      host.dispose();
    });
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active && host.sessionId) this.activated.fire(host.sessionId);
    });
    if (panel.active && sessionId) this.activated.fire(sessionId);
    return host;
  }

  /** After a window reload: find the session again, or reopen its capture file. */
  private async restore(panel: vscode.WebviewPanel, raw: unknown): Promise<void> {
    const state = raw && typeof raw === 'object' ? (raw as PanelState) : undefined;
    let sessionId = typeof state?.sessionId === 'string' ? state.sessionId : '';
    let ok = false;
    if (sessionId)
      ok = await this.backend.session(sessionId).then(
        () => true,
        () => false,
      );
    if (!ok && typeof state?.capturePath === 'string' && this.backend.reopen) {
      const s = await this.backend.reopen(state.capturePath).catch(() => undefined);
      if (s) {
        sessionId = s.id;
        ok = true;
      }
    }
    const host = this.attach(panel, sessionId, 'panel', state ? { ...state, sessionId } : undefined);
    if (!ok) host.unavailable('This session is no longer available (the engine restarted and it had no capture file). Open its capture or start a new session.');
  }

  dispose(): void {
    for (const h of this.hosts) h.dispose();
    this.hosts.clear();
    for (const s of this.subs) s.dispose();
    this.subs.length = 0;
    this.activated.dispose();
  }
}

/** One webview showing one session. */
export class PanelHost implements vscode.Disposable {
  private ready = false;
  private readonly queue: HostToWebview[] = [];
  private changes: vscode.Disposable | undefined;
  private pendingSummary: SessionSummary | undefined;
  private pendingAppended: { from: number; to: number } | undefined;
  private pendingReloaded = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly subs: vscode.Disposable[] = [];
  private previousSessionId: string | undefined;
  private gone: string | undefined;

  constructor(
    private readonly manager: PanelManager,
    readonly panel: vscode.WebviewPanel,
    public sessionId: string,
    readonly kind: 'panel' | 'editor',
    private restored?: PanelState,
  ) {
    const webview = panel.webview;
    webview.options = manager.webviewOptions();
    const dist = vscode.Uri.joinPath(manager.context.extensionUri, 'dist');
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
    });
    this.subs.push(webview.onDidReceiveMessage((m: WebviewToHost) => void this.onMessage(m)));
    this.subscribe();
  }

  private subscribe(): void {
    this.changes?.dispose();
    if (!this.sessionId) return;
    this.changes = this.manager.backend.onChanged(this.sessionId, (p) => this.onChanged(p));
  }

  /** Post to the webview (queued until it said it is ready). */
  post(msg: HostToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(msg);
    else this.queue.push(msg);
  }

  unavailable(message: string): void {
    this.gone = message;
    this.post({ type: 'unavailable', sessionId: this.sessionId, message });
  }

  /** The engine restarted and reloaded this session under a new id. */
  rebind(newId: string): void {
    this.previousSessionId = this.sessionId;
    this.sessionId = newId;
    this.gone = undefined;
    this.subscribe();
    if (this.ready) void this.sendInit();
  }

  /** The engine restarted without reloading this session. */
  async recheck(): Promise<void> {
    const ok = await this.manager.backend.session(this.sessionId).then(
      () => true,
      () => false,
    );
    if (!ok) this.unavailable('The engine restarted and this session could not be reloaded.');
  }

  private async onMessage(m: WebviewToHost): Promise<void> {
    if (!m || typeof m !== 'object') return;
    if (m.type === 'ready') {
      this.ready = false;
      await this.sendInit();
      return;
    }
    if (m.type === 'request') {
      try {
        if (this.gone) throw new Error(this.gone);
        const result = await this.manager.backend.request(this.sessionId, m.method, m.params as never);
        void this.panel.webview.postMessage({ type: 'reply', id: m.id, result: result ?? null } satisfies HostToWebview);
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        void this.panel.webview.postMessage({ type: 'reply', id: m.id, error } satisfies HostToWebview);
      }
    }
  }

  private async sendInit(): Promise<void> {
    const wv = this.panel.webview;
    if (this.gone || !this.sessionId) {
      void wv.postMessage({ type: 'unavailable', sessionId: this.sessionId, message: this.gone ?? 'No session.' } satisfies HostToWebview);
      return;
    }
    try {
      const [session, decoders] = await Promise.all([this.manager.backend.session(this.sessionId), this.manager.backend.decoders().catch(() => [])]);
      if (this.kind === 'panel') this.panel.title = `IPC Tap: ${session.name}`;
      const init: HostToWebview = { type: 'init', sessionId: this.sessionId, session, decoders };
      if (this.restored) init.state = this.restored;
      if (this.previousSessionId) init.previousSessionId = this.previousSessionId;
      this.restored = undefined;
      await wv.postMessage(init);
      this.ready = true;
      for (const q of this.queue.splice(0)) void wv.postMessage(q);
    } catch (err) {
      this.gone = `Could not load the session: ${err instanceof Error ? err.message : String(err)}`;
      void wv.postMessage({ type: 'unavailable', sessionId: this.sessionId, message: this.gone } satisfies HostToWebview);
    }
  }

  private onChanged(p: SessionChangedParams): void {
    if (p.removed) {
      this.unavailable('This session was closed.');
      return;
    }
    if (p.summary) this.pendingSummary = p.summary;
    if (p.reloaded) {
      this.pendingReloaded = true;
      this.pendingAppended = undefined;
    }
    if (p.appended) {
      const a = this.pendingAppended;
      this.pendingAppended = a ? { from: Math.min(a.from, p.appended.from), to: Math.max(a.to, p.appended.to) } : { ...p.appended };
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const msg: HostToWebview = { type: 'changed' };
      if (this.pendingSummary) msg.summary = this.pendingSummary;
      if (this.pendingAppended) msg.appended = this.pendingAppended;
      if (this.pendingReloaded) msg.reloaded = true;
      this.pendingReloaded = false;
      this.pendingSummary = undefined;
      this.pendingAppended = undefined;
      // Hidden webviews drop messages; they re-init when shown again.
      if (this.ready && this.panel.visible) void this.panel.webview.postMessage(msg);
    }, CHANGED_INTERVAL_MS);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.changes?.dispose();
    for (const s of this.subs) s.dispose();
    this.subs.length = 0;
  }
}
