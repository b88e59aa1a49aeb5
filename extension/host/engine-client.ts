// The engine process: a language server (dist/server.js), a separate Node process serving this
// workspace's windows at a private Unix socket (host/engine-socket.ts), which vscode-languageclient
// talks to as a stream. A window reload connects again to the same engine: its live sessions go
// on capturing. If the engine dies: a clear notification, an automatic restart, and the sessions
// reloaded from their capture files.
import * as vscode from 'vscode';
import { CloseAction, ErrorAction, LanguageClient, State, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import * as P from '../shared/requests';
import { connectOrStartEngine } from './engine-socket';
import { withProtoSetting } from './launch-config';
import { KnownSessions } from './known-sessions';

/** A failure the user caused (bad path, unknown signal...): show the message alone. */
export class EngineUserError extends Error {}

const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 3 * 60_000;

export class EngineClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly restarts: number[] = [];
  private readonly changed = new vscode.EventEmitter<P.SessionChangedParams>();
  private readonly restarted = new vscode.EventEmitter<Map<string, string>>();
  private starting: Promise<void> | undefined;
  /** Sessions the host knows about, to reload them after a crash or restart as they were. */
  private readonly known = new KnownSessions();
  private crashed = false;
  /** Restart Engine asked the engine to exit: its end is no crash. */
  private exitRequested = false;

  /** session/changed notices from the engine. */
  readonly onSessionChanged = this.changed.event;
  /** After a crash and restart: old session id → new id of the reloaded capture. */
  readonly onRestarted = this.restarted.event;

  constructor(
    private readonly serverModule: string,
    /** The engine's socket (engineSocketFor()). */
    private readonly socketPath: string,
    private readonly output: vscode.OutputChannel,
  ) {}

  start(): Promise<void> {
    return (this.starting ??= this.doStart());
  }

  private async doStart(): Promise<void> {
    // Called again on every restart: the running engine, or a new one.
    const serverOptions: ServerOptions = async () => {
      const { socket, started } = await connectOrStartEngine(this.serverModule, this.socketPath);
      this.output.appendLine(`[host] ${started ? 'started the engine' : 'connected to the running engine'} at ${this.socketPath}`);
      return { reader: socket, writer: socket, detached: true };
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'ipctap-text', language: 'ipctap' }],
      outputChannel: this.output,
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => this.onClosed(),
      },
    };
    const client = new LanguageClient('ipctap', 'IPC Tap engine', serverOptions, clientOptions);
    client.onNotification(P.SessionChanged.method, (p: P.SessionChangedParams) => {
      if (p.removed) this.known.removed(p.sessionId);
      else if (p.summary) this.known.listed(p.sessionId, p.summary.capturePath);
      this.changed.fire(p);
    });
    client.onDidChangeState((e) => {
      if (e.newState === State.Running && this.crashed) {
        this.crashed = false;
        void this.reload();
      }
    });
    this.client = client;
    await client.start();
  }

  private onClosed() {
    if (this.exitRequested) {
      this.exitRequested = false;
      this.crashed = true;
      return { action: CloseAction.Restart, handled: true };
    }
    const now = Date.now();
    while (this.restarts.length && now - this.restarts[0]! > RESTART_WINDOW_MS) this.restarts.shift();
    if (this.restarts.length >= MAX_RESTARTS) {
      void vscode.window.showErrorMessage(
        `The IPC Tap engine stopped ${MAX_RESTARTS} times in 3 minutes; it stays stopped. See the "IPC Tap" output, then run "IPC Tap: Restart Engine".`,
      );
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    this.restarts.push(now);
    this.crashed = true;
    const n = this.known.reopenable;
    this.output.appendLine(`[host] the engine process exited unexpectedly; restarting (${n} session(s) to reload)`);
    void vscode.window.showWarningMessage(
      `The IPC Tap engine stopped unexpectedly and was restarted.` + (n ? ` ${n} session(s) were reloaded from their capture files (live capture ended).` : ''),
    );
    return { action: CloseAction.Restart, handled: true };
  }

  /** Reopen the capture of every session known before the crash. */
  private async reload(): Promise<void> {
    const map = new Map<string, string>();
    for (const [oldId, params] of this.known.takeReopening()) {
      const { path } = params;
      try {
        // (request() knows the reopened session, with the same typing and decoders)
        const s = await this.request(P.CaptureOpen, params);
        map.set(oldId, s.id);
      } catch (err) {
        this.output.appendLine(`[host] could not reload ${path}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.restarted.fire(map);
  }

  /** Manual restart (command "Restart Engine"): the engine stops its sessions and exits; a new
   *  one starts and reloads them from their capture files. */
  async restart(): Promise<void> {
    this.restarts.length = 0;
    if (this.client && this.client.state === State.Running) {
      this.exitRequested = true;
      await this.client.sendRequest(P.EngineExit.method, {}).catch(() => undefined);
    } else {
      this.starting = undefined;
      this.crashed = true;
      await this.start();
    }
  }

  async request<Params, Result>(def: P.RequestDef<Params, Result>, params: Params): Promise<Result> {
    await this.start();
    // Sessions, opened captures and capture files shown as text decode with the user's choice
    // about credentials ...
    const opens = def === (P.SessionStart as unknown) || def === (P.CaptureOpen as unknown);
    const decodes = opens || (def === (P.CaptureText as unknown) && !(params as P.CaptureTextParams).sessionId);
    if (decodes && vscode.workspace.getConfiguration('ipctap').get<boolean>('showSecrets', false)) {
      params = { ...params, showSecrets: true };
    }
    // ... and with the .proto files of the setting ipctap.protoFiles.
    if (decodes) {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
      const setting = vscode.workspace.getConfiguration('ipctap').get<unknown>('protoFiles', []);
      params = withProtoSetting(params as object, setting, { workspaceFolder: folder, env: process.env }) as Params;
    }
    try {
      const result = (await this.client!.sendRequest(def.method, params)) as Result;
      if (opens) this.known.started(result as unknown as P.SessionSummary, params as P.SessionStartParams | P.CaptureOpenParams, def === (P.CaptureOpen as unknown));
      // Decode As…: reloaded with that decoder (and message type).
      if (def === (P.SessionDecodeAs as unknown)) this.known.decodedAs(params as P.SessionDecodeAsParams);
      // After a window reload the engine already has sessions: know them for a crash too.
      if (def === (P.SessionList as unknown)) for (const s of result as unknown as P.SessionSummary[]) this.known.listed(s.id, s.capturePath);
      return result;
    } catch (err) {
      const e = err as { code?: number; message?: string };
      if (e && e.code === P.USER_ERROR_CODE) throw new EngineUserError(e.message ?? 'failed');
      throw err;
    }
  }

  /** The engine's process id (tests and "kill the engine" checks). */
  get running(): boolean {
    return this.client?.state === State.Running;
  }

  /** The window goes (closed or reloading): this client leaves; the engine's sessions go on. */
  async dispose(): Promise<void> {
    this.changed.dispose();
    this.restarted.dispose();
    await this.client?.stop(5000).catch(() => undefined);
  }
}

/** Show an error from the engine: user errors plainly, others with a pointer to the log. */
export function showEngineError(err: unknown, what: string, output: vscode.OutputChannel): void {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof EngineUserError) {
    void vscode.window.showErrorMessage(message);
    return;
  }
  output.appendLine(`[host] ${what} failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
  void vscode.window.showErrorMessage(`IPC Tap: ${what} failed: ${message}`);
}
