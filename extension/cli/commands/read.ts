// ipctap read FILE
import { existsSync, statSync } from 'node:fs';
import { readCaptureRows } from '../../engine/read';
import { UserError } from '../../engine/util/errors';
import { flag, list, parseArgs, usageError } from '../args';
import { rowToJsonLine, TextFormatter } from '../format';
import { StatsCollector } from '../stats';
import { decodeOptions, protoOptions } from './run';

/** Write to stdout, waiting while its buffer is full (a slow or paused reader downstream): memory
 *  stays bounded however big the capture. */
function out(text: string): Promise<void> | undefined {
  if (process.stdout.write(text)) return undefined;
  return new Promise<void>((resolve) => {
    const done = (): void => {
      process.stdout.off('drain', done);
      process.stdout.off('close', done);
      process.stdout.off('error', done);
      resolve();
    };
    process.stdout.on('drain', done);
    process.stdout.on('close', done);
    process.stdout.on('error', done);
  });
}

export async function readCommand(argv: string[]): Promise<number> {
  const p = parseArgs(
    argv,
    [
      { name: 'decode', short: 'd', value: true, multiple: true },
      { name: 'proto', value: true, multiple: true },
      { name: 'proto-type', value: true },
      { name: 'json' },
      { name: 'follow', short: 'f' },
      { name: 'conn', value: true, multiple: true },
      { name: 'stats' },
    ],
    'read',
  );
  if (p.positionals.length !== 1) throw usageError('usage: ipctap read FILE [--decode PROTO] [--json] [--follow]');
  const file = p.positionals[0]!;
  if (!existsSync(file)) throw new UserError(`no such file: ${file}`);
  const st = statSync(file);
  if (st.isDirectory()) throw new UserError(`${file} is a directory, not a capture file`);
  if (st.isFIFO()) process.stderr.write(`ipctap: ${file} is a FIFO: waiting for a writer to send a capture into it (ipctap run -w ${file} …)\n`);
  const conns = new Set(list(p, 'conn').map((c) => {
    if (!/^\d+$/.test(c)) throw usageError(`--conn ${c}: expected a connection number`);
    return Number(c);
  }));
  const json = flag(p, 'json');
  const stats = flag(p, 'stats') ? new StatsCollector() : undefined;
  if (stats && (json || flag(p, 'follow'))) throw usageError('--stats prints one table at the end: it goes with neither --json nor --follow');
  const text = new TextFormatter({ color: process.stdout.isTTY === true });
  const abort = new AbortController();
  const onSig = () => abort.abort();
  process.once('SIGINT', onSig);
  try {
    for await (const row of readCaptureRows(file, {
      ...decodeOptions(list(p, 'decode')),
      ...protoOptions(p),
      follow: flag(p, 'follow'),
      signal: abort.signal,
      onWarning: (w) => process.stderr.write(`ipctap: warning: ${w}\n`),
    })) {
      if (conns.size && (row.conn === undefined || !conns.has(row.conn))) continue;
      if (stats) {
        stats.add(row);
        continue;
      }
      await out((json ? rowToJsonLine(row) : text.format(row)) + '\n');
    }
  } finally {
    process.off('SIGINT', onSig);
  }
  if (stats) process.stdout.write(stats.format() + '\n');
  return 0;
}
