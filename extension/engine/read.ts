// Re-decode a capture file into rows, through the same RowBuilder the live session uses.
import { open } from 'node:fs/promises';
import { openCapture } from './capture/reader';
import { pcapItems, pcapKind } from './capture/pcap-import';
import { UserError } from './util/errors';
import { RowBuilder, type DecodeChoice } from './rows';
import type { Row } from './types';

export interface ReadOptions extends DecodeChoice {
  follow?: boolean;
  signal?: AbortSignal;
  /** Called with warnings (e.g. a truncated last record) once reading ends. */
  onWarning?: (message: string) => void;
  /** Called with each record's file offset before its rows (how far reading has come). */
  onRecord?: (offset: number) => void;
}

export async function* readCaptureRows(path: string, opts: ReadOptions = {}): AsyncGenerator<Row> {
  if (await isPcap(path)) {
    if (opts.follow) throw new UserError('--follow reads IPC Tap captures as they grow; a pcap/pcapng file is read whole');
    yield* readPcapRows(path, opts);
    return;
  }
  const reader = await openCapture(path);
  const header = reader.header as { decode?: string; decodeByTap?: Record<string, string> };
  const rows = new RowBuilder({
    decode: opts.decode ?? header.decode ?? 'auto',
    decodeByTap: { ...(header.decodeByTap ?? {}), ...(opts.decodeByTap ?? {}) },
    decoderOptions: opts.decoderOptions,
  });
  let last = { ts: 0, mono: 0 };
  try {
    for await (const { record, offset } of reader.records({ follow: opts.follow, signal: opts.signal })) {
      opts.onRecord?.(offset);
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

async function isPcap(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'r');
    try {
      const head = Buffer.alloc(4);
      const { bytesRead } = await fh.read(head, 0, 4, 0);
      return pcapKind(head.subarray(0, bytesRead)) !== undefined;
    } finally {
      await fh.close();
    }
  } catch {
    return false; // (openCapture says what is wrong)
  }
}

/** A pcap/pcapng file's TCP conversations as rows (decoded with `auto` unless told otherwise). */
async function* readPcapRows(path: string, opts: ReadOptions): AsyncGenerator<Row> {
  const rows = new RowBuilder({ decode: opts.decode ?? 'auto', decodeByTap: opts.decodeByTap ?? {}, decoderOptions: opts.decoderOptions });
  let last = { ts: 0, mono: 0 };
  for await (const it of pcapItems(path)) {
    if (opts.signal?.aborted) return;
    if ('chunk' in it) {
      last = it.chunk;
      yield* rows.chunk(it.chunk);
    } else {
      last = it.event;
      yield* rows.event(it.event);
    }
  }
  yield* rows.finish(last.ts, last.mono);
}
