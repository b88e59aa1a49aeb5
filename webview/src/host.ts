// The webview's side of the message channel: typed requests with replies, and state storage.
import type { HostToWebview, PanelMethod, PanelParams, PanelResult, PanelState, WebviewToHost } from '../../extension/shared/webview';

export interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export class HostLink {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(private readonly api: VsCodeApi) {}

  post(msg: WebviewToHost): void {
    this.api.postMessage(msg);
  }

  request<M extends PanelMethod>(method: M, params: PanelParams<M>): Promise<PanelResult<M>> {
    const id = this.nextId++;
    return new Promise<PanelResult<M>>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ type: 'request', id, method, params } as WebviewToHost);
    });
  }

  /** Resolve a reply; returns false for other messages. */
  handle(msg: HostToWebview): boolean {
    if (msg.type !== 'reply') return false;
    const w = this.waiting.get(msg.id);
    if (!w) return true;
    this.waiting.delete(msg.id);
    if (msg.error !== undefined) w.reject(new Error(msg.error));
    else w.resolve(msg.result);
    return true;
  }

  getState(): unknown {
    return this.api.getState();
  }

  setState(s: PanelState): void {
    this.api.setState(s);
  }
}
