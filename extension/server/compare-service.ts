// Export as pcapng and Compare with…: both read a capture file, a session's or one on disk; a
// comparison comes as a text report and as both sides aligned for a side-by-side view.
import { diffCaptures, diffText, exportPcapng, readCaptureRows, UserError, type DecoderOptions, type FrameRow } from '../engine';
import { diffSides } from './sides';
import type * as P from '../shared/requests';
import type { SessionService } from './session-service';

function pathOf(sessions: SessionService, ref: P.CaptureRef): string {
  if (ref.path) return ref.path;
  if (!ref.sessionId) throw new UserError('no capture given');
  const s = sessions.get(ref.sessionId);
  if (!s.capturePath) throw new UserError(`session ${s.name} has no capture file`);
  return s.capturePath;
}

export function exportCapture(sessions: SessionService, p: P.CaptureExportParams): Promise<P.CaptureExportResult> {
  return exportPcapng(pathOf(sessions, p), p.out);
}

/** A side's frames: a session's as its panel shows them (its Decode As… choices and .proto
 *  files); a file on disk with the default decoders and the given options. */
async function frames(sessions: SessionService, ref: P.CaptureRef, decoderOptions: DecoderOptions | undefined): Promise<FrameRow[]> {
  const rows: FrameRow[] = [];
  const source = ref.sessionId && sessions.has(ref.sessionId) ? sessions.allRows(ref.sessionId) : readCaptureRows(pathOf(sessions, ref), { decoderOptions });
  for await (const r of source) if (r.type === 'frame') rows.push(r);
  return rows;
}

export async function compareCaptures(sessions: SessionService, p: P.CaptureDiffParams): Promise<P.CaptureDiffSidesResult> {
  // A file compared with a session is read with that session's decoder options (its .proto files).
  const optionsOf = (ref: P.CaptureRef) => (ref.sessionId && sessions.has(ref.sessionId) ? sessions.get(ref.sessionId).decoderOptions : undefined);
  const options = optionsOf(p.a) ?? optionsOf(p.b);
  const a = await frames(sessions, p.a, options);
  const b = await frames(sessions, p.b, options);
  const d = diffCaptures(a, b);
  const c = d.counts;
  const byId = (rows: FrameRow[]) => new Map(rows.map((r) => [r.id, r]));
  return { different: c.changed + c.onlyA + c.onlyB + d.unmatchedA.length + d.unmatchedB.length > 0, text: diffText(d), counts: c, sides: diffSides(d, byId(a), byId(b)) };
}
