// Re-decode a capture file into rows, through the same RowBuilder the live session uses.
import { openCapture } from './capture/reader';
import { RowBuilder, type DecodeChoice } from './rows';
import type { Row } from './types';

export interface ReadOptions extends DecodeChoice {
  follow?: boolean;
  signal?: AbortSignal;
  /** Called with warnings (e.g. a truncated last record) once reading ends. */
  onWarning?: (message: string) => void;
}

export async function* readCaptureRows(path: string, opts: ReadOptions = {}): AsyncGenerator<Row> {
  const reader = await openCapture(path);
  const header = reader.header as { decode?: string; decodeByTap?: Record<string, string> };
  const rows = new RowBuilder({
    decode: opts.decode ?? header.decode ?? 'auto',
    decodeByTap: { ...(header.decodeByTap ?? {}), ...(opts.decodeByTap ?? {}) },
    decoderOptions: opts.decoderOptions,
  });
  let last = { ts: 0, mono: 0 };
  try {
    for await (const { record } of reader.records({ follow: opts.follow, signal: opts.signal })) {
      const r = record as { t: string };
      if (r.t === 'c') {
        const c = record as unknown as Parameters<RowBuilder['chunk']>[0];
        last = c;
        yield* rows.chunk(c);
      } else if (r.t === 'e') {
        const { t: _t, ...ev } = record as unknown as { t: string } & Parameters<RowBuilder['event']>[0];
        last = ev;
        yield* rows.event(ev);
      }
    }
    yield* rows.finish(last.ts, last.mono);
  } finally {
    for (const w of reader.warnings) opts.onWarning?.(w);
    await reader.close?.();
  }
}
