// The Sessions tree: session → processes (pid, state, exit) and taps → connections (frames,
// bytes, peer pids). Context actions are contributed in package.json by contextValue.
import { tapLabel } from '../shared/tap-label';
import { plural } from '../shared/plural';
import * as vscode from 'vscode';
import * as P from '../shared/requests';
import type { EngineClient } from './engine-client';
import type { SessionModel } from './session-model';
import { treeContent } from './tree-content';

export type TreeNode =
  | { type: 'session'; session: P.SessionSummary }
  | { type: 'process'; sessionId: string; process: P.ProcessInfo }
  | { type: 'tap'; sessionId: string; tap: string; label: string; address?: string; kind?: string }
  | { type: 'connection'; sessionId: string; connection: P.ConnectionInfo };

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function processDescription(p: P.ProcessInfo): string {
  if (p.state === 'exited') return p.signal ? `exited: ${p.signal}` : `exited with code ${p.code ?? '?'}`;
  return p.state;
}

export class SessionsTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: vscode.Disposable;
  private pending: NodeJS.Timeout | undefined;
  /** What the view shows now (treeContent of the sessions it was last built from). */
  private shown: string | undefined;

  constructor(
    private readonly model: SessionModel,
    private readonly engine: EngineClient,
  ) {
    // Notices are throttled by the engine already; coalesce once more for the tree, and refresh
    // only when something it shows changed (see tree-content.ts: a refresh can take the focus).
    this.sub = model.onDidChange(() => {
      if (this.pending) return;
      this.pending = setTimeout(() => {
        this.pending = undefined;
        const now = treeContent(model.list());
        if (now === this.shown) return;
        this.shown = now;
        this.emitter.fire(undefined);
      }, 300);
    });
  }

  getTreeItem(n: TreeNode): vscode.TreeItem {
    switch (n.type) {
      case 'session': {
        const s = n.session;
        const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `s:${s.id}`;
        item.description = `${s.state} · ${plural(s.frames, 'frame')} · ${plural(s.connections, 'connection')}`;
        item.tooltip = `${s.name}\n${s.state}\n${s.capturePath ?? ''}`;
        item.iconPath = new vscode.ThemeIcon(s.state === 'live' ? 'debug-start' : s.state === 'file' ? 'file-binary' : s.state === 'ended' ? 'pass' : 'debug-stop');
        item.contextValue = `ipctap.session.${s.state}`;
        item.command = { command: 'ipctap.revealInPanel', title: 'Reveal in Panel', arguments: [n] };
        return item;
      }
      case 'process': {
        const p = n.process;
        const item = new vscode.TreeItem(`${p.name} (${p.pid})`, vscode.TreeItemCollapsibleState.None);
        item.id = `p:${n.sessionId}:${p.pid}`;
        item.description = processDescription(p);
        item.tooltip = p.command.join(' ');
        item.iconPath = new vscode.ThemeIcon(p.state === 'running' ? 'play-circle' : p.state === 'stopped' ? 'debug-pause' : 'circle-slash');
        item.contextValue = `ipctap.process.${p.state}`;
        return item;
      }
      case 'tap': {
        const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `t:${n.sessionId}:${n.tap}`;
        item.description = n.address && !n.tap.includes(n.address) ? `→ ${n.address}` : undefined;
        item.iconPath = new vscode.ThemeIcon('plug');
        item.contextValue = n.kind === 'trace' ? 'ipctap.tap.trace' : 'ipctap.tap';
        return item;
      }
      case 'connection': {
        const c = n.connection;
        const item = new vscode.TreeItem(`connection ${c.conn}`, vscode.TreeItemCollapsibleState.None);
        item.id = `c:${n.sessionId}:${c.conn}`;
        const peers = [c.peers?.client?.length ? `client ${c.peers.client.join(',')}` : '', c.peers?.server?.length ? `server ${c.peers.server.join(',')}` : '']
          .filter(Boolean)
          .join(' ↔ ');
        item.description = `${plural(c.frames, 'frame')} · ${formatBytes(c.bytes)}${c.open ? '' : ' · closed'}${peers ? ` · ${peers}` : ''}`;
        item.tooltip = `${c.from ?? '?'} → ${c.to ?? '?'}`;
        item.iconPath = new vscode.ThemeIcon(c.open ? 'arrow-swap' : 'debug-disconnect');
        item.contextValue = 'ipctap.connection';
        item.command = { command: 'ipctap.revealInPanel', title: 'Reveal in Panel', arguments: [n] };
        return item;
      }
    }
  }

  async getChildren(n?: TreeNode): Promise<TreeNode[]> {
    if (!n) {
      const list = this.model.list();
      this.shown = treeContent(list);
      return list.map((session) => ({ type: 'session', session }));
    }
    if (n.type === 'session') {
      const s = this.model.get(n.session.id) ?? n.session;
      const out: TreeNode[] = s.processes.map((process) => ({ type: 'process', sessionId: s.id, process }));
      const taps = new Map<string, TreeNode>();
      for (const t of s.taps)
        taps.set(t.spec, { type: 'tap', sessionId: s.id, tap: t.spec, label: t.name ? `${t.name}: ${t.spec}` : tapLabel(t.spec, s.processes), address: t.address, kind: t.kind });
      if (s.connections > 0) {
        const detail = await this.detail(s.id);
        for (const c of detail?.connectionList ?? []) {
          if (!taps.has(c.tap)) taps.set(c.tap, { type: 'tap', sessionId: s.id, tap: c.tap, label: tapLabel(c.tap, s.processes) });
        }
      }
      return [...out, ...taps.values()];
    }
    if (n.type === 'tap') {
      const detail = await this.detail(n.sessionId);
      return (detail?.connectionList ?? []).filter((c) => c.tap === n.tap).map((connection) => ({ type: 'connection', sessionId: n.sessionId, connection }));
    }
    return [];
  }

  private async detail(id: string): Promise<P.SessionDetail | undefined> {
    try {
      return await this.engine.request(P.SessionGet, { sessionId: id });
    } catch {
      return undefined;
    }
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    this.sub.dispose();
    this.emitter.dispose();
  }
}
