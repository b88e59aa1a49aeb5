// What a Chromium performance trace (playwright's browser.startTracing) says about the long
// tasks of one page's main thread: each task of 16 ms or more, with the time its children spent
// by kind (script, style, layout, paint, garbage collection). The e2e run prints it for the Flow
// tab when IPCTAP_E2E_FLOW_TRACE names a file to keep the trace in.
import { readFileSync } from 'node:fs';

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { url?: string; functionName?: string } };
}

const KINDS: [RegExp, string][] = [
  [/^(FunctionCall|EvaluateScript|v8\.execute|TimerFire|FireAnimationFrame|EventDispatch|RunMicrotasks|V8\.Execute)$/, 'script'],
  [/^(UpdateLayoutTree|RecalculateStyles|ParseAuthorStyleSheet|InvalidateLayout|ScheduleStyleRecalculation)$/, 'style'],
  [/^(Layout|UpdateLayerTree|Layerize|PrePaint)$/, 'layout'],
  [/^(Paint|PaintImage|CompositeLayers|Commit|RasterTask)$/, 'paint'],
  [/GC|Scavenge|MarkCompact|BlinkGC/, 'gc'],
];

export interface LongTask {
  ms: number;
  /** Milliseconds by kind, counting each kind's outermost events only. */
  by: Record<string, number>;
}

/** Long tasks (≥ minMs) on the main thread of the renderer that ran `scriptUrlPart`. */
export function longTasks(path: string, scriptUrlPart: string, minMs = 16): LongTask[] {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = (Array.isArray(raw) ? raw : (raw.traceEvents ?? [])).filter((e) => e.ph === 'X' && e.dur !== undefined);
  const owner = events.find((e) => e.name === 'FunctionCall' && e.args?.data?.url?.includes(scriptUrlPart));
  if (!owner) return [];
  const mine = events.filter((e) => e.pid === owner.pid && e.tid === owner.tid).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const tasks = mine.filter((e) => e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask');
  const out: LongTask[] = [];
  let until = -1;
  for (const t of tasks) {
    if (t.dur! < minMs * 1000 || t.ts < until) continue; // (a task nested in one counted)
    until = t.ts + t.dur!;
    const end = t.ts + t.dur!;
    const by: Record<string, number> = {};
    const covered: Record<string, number> = {};
    for (const e of mine) {
      if (e.ts < t.ts || e.ts >= end || e === t) continue;
      const kind = KINDS.find(([re]) => re.test(e.name))?.[1];
      if (!kind) continue;
      // Outermost only: an event inside one of its own kind already counted is skipped.
      if ((covered[kind] ?? 0) > e.ts) continue;
      covered[kind] = e.ts + e.dur!;
      by[kind] = (by[kind] ?? 0) + e.dur! / 1000;
    }
    out.push({ ms: t.dur! / 1000, by });
  }
  return out;
}
