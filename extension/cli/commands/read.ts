// ipctap read FILE
import { existsSync, statSync } from 'node:fs';
import { readCaptureRows, UserError, MethodStats, buildFlow, toJson } from '../../engine';
import { flag, list, parseArgs, str, usageError } from '../args';
import { BatchedWriter } from '../batched-writer';
import { rowToJsonLine, TextFormatter } from '../format';
import { formatMethodStats, StatsCollector } from '../stats';
import { flowSvg, flowText } from '../flow-render';
import { writeFileSync } from 'node:fs';
import { decodeOptions, protoOptions } from './run';

/** Rows to stdout in batches (see BatchedWriter). */
const rowsOut = new BatchedWriter(process.stdout);

/** Write to stdout, waiting while its buffer is full (a slow or paused reader downstream): memory
 *  stays bounded however big the capture. */
function out(text: string): Promise<void> | undefined {
  if (rowsOut.write(text)) return undefined;
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
      { name: 'show-secrets' },
      { name: 'json' },
      { name: 'follow', short: 'f' },
      { name: 'conn', value: true, multiple: true },
      { name: 'stats' },
      { name: 'by', value: true },
      { name: 'flow' },
      { name: 'svg', value: true },
      { name: 'all' },
    ],
    'read',
  );
  if (p.positionals.length !== 1) throw usageError('usage: ipctap read FILE [--decode PROTO] [--json] [--follow]');
  const file = p.positionals[0]!;
  if (!existsSync(file)) throw new UserError(`no such file: ${file}`);
  const st = statSync(file);
  if (st.isDirectory()) throw new UserError(`${file} is a directory, not a capture file`);
  if (st.isFIFO()) process.stderr.write(`ipctap: ${file} is a FIFO: waiting for a writer to send a capture into it (ipctap run -w ${file} …)\n`);
  const conns = new Set(
    list(p, 'conn').map((c) => {
      if (!/^\d+$/.test(c)) throw usageError(`--conn ${c}: expected a connection number`);
      return Number(c);
    }),
  );
  const json = flag(p, 'json');
  const by = str(p, 'by');
  if (by !== undefined && by !== 'method' && by !== 'connection') throw usageError(`--by ${by}: expected method or connection`);
  if (by !== undefined && !flag(p, 'stats')) throw usageError('--by goes with --stats');
  const methods = by === 'method' ? new MethodStats() : undefined;
  const stats = flag(p, 'stats') && !methods ? new StatsCollector() : undefined;
  if (stats && (json || flag(p, 'follow'))) throw usageError('--stats prints one table at the end: it goes with neither --json nor --follow (--stats --by method has --json)');
  if (methods && flag(p, 'follow')) throw usageError('--stats prints one table at the end: it does not go with --follow');
  if (flag(p, 'flow')) return flowCommand(p, file);
  if (str(p, 'svg') !== undefined || flag(p, 'all')) throw usageError('--svg and --all go with --flow');
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
      if (methods) {
        methods.add(row);
        continue;
      }
      await out((json ? rowToJsonLine(row) : text.format(row)) + '\n');
    }
  } finally {
    process.off('SIGINT', onSig);
    rowsOut.flush();
  }
  if (stats) process.stdout.write(stats.format() + '\n');
  if (methods) process.stdout.write((json ? toJson({ type: 'method-stats', methods: methods.summaries() }) : formatMethodStats(methods.summaries())) + '\n');
  return 0;
}

/** `read FILE --flow [--svg OUT] [--all] [--conn N]`: the session as a sequence diagram. */
async function flowCommand(p: ReturnType<typeof parseArgs>, file: string): Promise<number> {
  if (flag(p, 'stats') || flag(p, 'follow') || flag(p, 'json')) throw usageError('--flow draws the whole capture: it goes with neither --stats, --follow nor --json');
  const conns = new Set(list(p, 'conn').map(Number));
  const rows = [];
  for await (const row of readCaptureRows(file, { ...decodeOptions(list(p, 'decode')), ...protoOptions(p), onWarning: (w) => process.stderr.write(`ipctap: warning: ${w}\n`) })) {
    // (Events without a connection — spawns, signals, exits — belong to every view.)
    if (conns.size && row.conn !== undefined && !conns.has(row.conn)) continue;
    rows.push(row);
  }
  const flow = buildFlow(rows, { transport: flag(p, 'all'), maxItems: 100_000 });
  const svg = str(p, 'svg');
  if (svg !== undefined) {
    writeFileSync(svg, flowSvg(flow));
    process.stderr.write(`ipctap: wrote ${svg}: ${flow.lifelines.length} lifelines, ${flow.items.length} arrows and marks\n`);
    return 0;
  }
  process.stdout.write(flowText(flow, { width: process.stdout.columns ?? 160 }) + '\n');
  return 0;
}
