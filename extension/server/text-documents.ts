// The read-only capture text documents (scheme ipctap-text): rendered on request, kept by URI so
// the language features can map positions to rows. URIs carry their source in the query
// (?path=FILE or ?session=ID), so after a server restart a document can be rendered again.
import { basename } from 'node:path';
import { readCaptureRows, UserError } from '../engine';
import type { CaptureTextParams } from '../shared/requests';
import { renderCaptureText, type CaptureTextModel } from './capture-text';
import { decoderOptionsOf, type DecodingParams, type SessionService } from './session-service';

const MAX_MODELS = 16;

export class TextDocuments {
  private readonly models = new Map<string, CaptureTextModel>();
  /** How each file's document was last decoded (to render it again the same way). */
  private readonly decodings = new Map<string, DecodingParams>();

  constructor(private readonly sessions: SessionService) {}

  async render(p: CaptureTextParams): Promise<CaptureTextModel> {
    let model: CaptureTextModel;
    if (p.sessionId && (this.sessions.has(p.sessionId) || !p.path)) {
      const s = this.sessions.get(p.sessionId);
      model = await renderCaptureText(this.sessions.allRows(p.sessionId), { name: s.name, taps: s.taps().map((t) => t.spec) });
    } else if (p.path) {
      const decoding: DecodingParams = { showSecrets: p.showSecrets, protoFiles: p.protoFiles };
      model = await renderCaptureText(readCaptureRows(p.path, { decoderOptions: decoderOptionsOf(decoding) }), { name: basename(p.path) });
      this.decodings.delete(p.uri);
      this.decodings.set(p.uri, decoding);
      while (this.decodings.size > MAX_MODELS) this.decodings.delete(this.decodings.keys().next().value!);
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
      return await this.render({ uri, ...src, ...this.decodings.get(uri) });
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
