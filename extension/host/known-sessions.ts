// The sessions a window knows about, and how to reopen each from its capture file after the
// engine restarts: with the .proto files and message type it was started or opened with, and the
// decoders it was opened with and Decode As… chose since.
import { withDecodeAs, type DecodeChoice } from '../shared/decode-choice';
import type * as P from '../shared/requests';

interface KnownSession {
  path?: string;
  typing?: { protoFiles: string[]; protoType?: string };
  decoding?: DecodeChoice;
}

export class KnownSessions {
  private readonly sessions = new Map<string, KnownSession>();

  /** A session started (SessionStart) or a capture opened (CaptureOpen, `opened`) with `params`.
   *  (A started session's decoders are in its capture file's header.) */
  started(s: P.SessionSummary, params: P.SessionStartParams | P.CaptureOpenParams, opened: boolean): void {
    const { protoFiles, protoType } = params;
    const { decode, decodeByTap } = opened ? (params as P.CaptureOpenParams) : {};
    this.sessions.set(s.id, {
      path: s.capturePath,
      ...(protoFiles?.length ? { typing: { protoFiles, ...(protoType ? { protoType } : {}) } } : {}),
      ...(decode || decodeByTap ? { decoding: { ...(decode ? { decode } : {}), ...(decodeByTap ? { decodeByTap } : {}) } } : {}),
    });
  }

  /** A session the engine lists (after a window reload it may have sessions this window did not
   *  start): its capture path, anything known about it kept. */
  listed(id: string, path: string | undefined): void {
    this.sessions.set(id, { ...this.sessions.get(id), path });
  }

  /** Decode As… done: reopened with that decoder (and message type) too. */
  decodedAs({ sessionId, tap, decoder, protoType }: P.SessionDecodeAsParams): void {
    const known = this.sessions.get(sessionId);
    if (!known) return;
    known.decoding = withDecodeAs(known.decoding ?? {}, tap, decoder);
    if (known.typing && protoType !== undefined) known.typing.protoType = protoType || undefined;
  }

  removed(id: string): void {
    this.sessions.delete(id);
  }

  /** How many can be reopened (they have a capture file). */
  get reopenable(): number {
    return [...this.sessions.values()].filter((k) => k.path).length;
  }

  /** Old session id → how to reopen it; everything is forgotten (the reopened ones become known
   *  as they are opened). */
  takeReopening(): [string, P.CaptureOpenParams][] {
    const out: [string, P.CaptureOpenParams][] = [];
    for (const [id, { path, typing, decoding }] of this.sessions) if (path) out.push([id, { path, ...typing, ...decoding }]);
    this.sessions.clear();
    return out;
  }
}
