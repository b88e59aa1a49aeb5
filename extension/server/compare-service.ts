// Export as pcapng and Compare with…: both read a capture file, a session's or one on disk; a
// comparison comes as a text report and as both sides aligned for a side-by-side view.
import { diffCaptures, diffText, exportPcapng, readCaptureRows, UserError, type FrameRow } from '../engine';
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

async function frames(path: string): Promise<FrameRow[]> {
  const rows: FrameRow[] = [];
  for await (const r of readCaptureRows(path)) if (r.type === 'frame') rows.push(r);
  return rows;
}

export async function compareCaptures(sessions: SessionService, p: P.CaptureDiffParams): Promise<P.CaptureDiffSidesResult> {
  const a = await frames(pathOf(sessions, p.a));
  const b = await frames(pathOf(sessions, p.b));
  const d = diffCaptures(a, b);
  const c = d.counts;
  const byId = (rows: FrameRow[]) => new Map(rows.map((r) => [r.id, r]));
  return { different: c.changed + c.onlyA + c.onlyB + d.unmatchedA.length + d.unmatchedB.length > 0, text: diffText(d), counts: c, sides: diffSides(d, byId(a), byId(b)) };
}
