// The read-only capture text documents (scheme ipctap-text): rendered on request, kept by URI so
// the language features can map positions to rows. URIs carry their source in the query
// (?path=FILE or ?session=ID), so after a server restart a document can be rendered again.
import { basename } from 'node:path';
import { readCaptureRows, UserError } from '../engine';
import type { CaptureTextParams } from '../shared/requests';
import { renderCaptureText, type CaptureTextModel } from './capture-text';
import type { SessionService } from './session-service';

const MAX_MODELS = 16;

export class TextDocuments {
  private readonly models = new Map<string, CaptureTextModel>();

  constructor(private readonly sessions: SessionService) {}

  async render(p: CaptureTextParams): Promise<CaptureTextModel> {
    let model: CaptureTextModel;
    if (p.sessionId && (this.sessions.has(p.sessionId) || !p.path)) {
      const s = this.sessions.get(p.sessionId);
      model = await renderCaptureText(this.sessions.allRows(p.sessionId), { name: s.name, taps: s.taps().map((t) => t.spec) });
    } else if (p.path) {
      model = await renderCaptureText(readCaptureRows(p.path), { name: basename(p.path) });
    } else throw new UserError('capture/text needs a session or a capture path');
    this.models.delete(p.uri);
    this.models.set(p.uri, model);
    while (this.models.size > MAX_MODELS) this.models.delete(this.models.keys().next().value!);
    return model;
  }

  /** The model for a document, rendering it again from the URI's query when not kept. */
  async model(uri: string): Promise<CaptureTextModel | undefined> {
    const kept = this.models.get(uri);
    if (kept) return kept;
    const src = sourceOf(uri);
    if (!src) return undefined;
    try {
      return await this.render({ uri, ...src });
    } catch {
      return undefined;
    }
  }

  forget(uri: string): void {
    this.models.delete(uri);
  }
}

export function sourceOf(uri: string): { path?: string; sessionId?: string } | undefined {
  try {
    const q = new URL(uri).searchParams;
    const path = q.get('path') ?? undefined;
    const sessionId = q.get('session') ?? undefined;
    return path || sessionId ? { path, sessionId } : undefined;
  } catch {
    return undefined;
  }
}
