// Panel state: sanitising what getState()/the serializer hand back (it may be old or foreign),
// and the filter text actually sent to the engine.
import { PANEL_TABS, type PanelState, type PanelTab } from '../../extension/shared/webview';

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;
}

export function sanitizeState(raw: unknown, sessionId: string): PanelState {
  const s: PanelState = { sessionId };
  if (!raw || typeof raw !== 'object') return s;
  const r = raw as Record<string, unknown>;
  // State saved for another session (the engine restarted and renumbered) keeps view settings only.
  const same = r.sessionId === sessionId || r.sessionId === undefined;
  if (typeof r.filter === 'string') s.filter = r.filter.slice(0, 2000);
  if (typeof r.paused === 'boolean') s.paused = r.paused;
  if (typeof r.capturePath === 'string') s.capturePath = r.capturePath;
  if (PANEL_TABS.includes(r.tab as PanelTab)) s.tab = r.tab as PanelTab;
  if (typeof r.flowTransport === 'boolean') s.flowTransport = r.flowTransport;
  if (typeof r.flowTime === 'boolean') s.flowTime = r.flowTime;
  if (typeof r.flowGroup === 'boolean') s.flowGroup = r.flowGroup;
  if (same) {
    s.clearedAfter = num(r.clearedAfter);
    s.selectedId = num(r.selectedId);
    s.topIndex = num(r.topIndex);
    s.followConn = num(r.followConn);
    if (typeof r.fieldPath === 'string') s.fieldPath = r.fieldPath;
  }
  for (const k of Object.keys(s) as (keyof PanelState)[]) if (s[k] === undefined) delete s[k];
  return s;
}

/**
 * The filter text for rows/get: the user's filter (or, in Follow Connection, that connection
 * only: both directions and its events) and Clear's cut.
 */
export function effectiveFilter(s: Pick<PanelState, 'filter' | 'followConn' | 'clearedAfter'>): string {
  const parts: string[] = [];
  if (s.followConn !== undefined) parts.push(`conn:${s.followConn}`);
  else if (s.filter?.trim()) parts.push(s.filter.trim());
  if (s.clearedAfter !== undefined && s.clearedAfter > 0) parts.push(`after:${s.clearedAfter}`);
  return parts.join(' ');
}
