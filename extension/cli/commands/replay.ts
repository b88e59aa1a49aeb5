// ipctap replay FILE --conn N --to ENDPOINT
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseReplayTarget, replayConnection, UserError, toJson } from '../../engine';
import { flag, intOpt, list, parseArgs, str, usageError } from '../args';
import { LiveSession } from '../live';
import { captureDecodeOptions } from './run';

export async function replayCommand(argv: string[]): Promise<number> {
  const p = parseArgs(
    argv,
    [
      { name: 'conn', value: true },
      { name: 'from', value: true },
      { name: 'to', value: true },
      { name: 'timeout', value: true },
      { name: 'pace', value: true },
      { name: 'decode', short: 'd', value: true, multiple: true },
      { name: 'write', short: 'w', value: true },
      { name: 'json' },
      { name: 'quiet', short: 'q' },
    ],
    'replay',
  );
  if (p.positionals.length !== 1) throw usageError('usage: ipctap replay FILE --conn N --to ENDPOINT');
  const file = p.positionals[0]!;
  if (!existsSync(file)) throw new UserError(`no such file: ${file}`);
  const connText = str(p, 'conn');
  if (!connText || !/^\d+$/.test(connText)) throw usageError('--conn N is required (a connection number from ipctap read)');
  const toText = str(p, 'to');
  if (!toText) throw usageError('--to ENDPOINT is required (unix:PATH, tcp:HOST:PORT, fifo:PATH, or exec -- CMD ARGS)');
  const to = parseReplayTarget(toText, p.rest);
  const pace = str(p, 'pace') ?? 'responses';
  if (pace !== 'original' && pace !== 'responses') throw usageError(`--pace ${pace}: expected 'original' (or the default, 'responses')`);
  const timeoutMs = intOpt(p, 'timeout', 5000);
  const fromText = str(p, 'from');
  if (fromText !== undefined && !/^\d+$/.test(fromText)) throw usageError(`--from ${fromText}: expected a frame number (the # column of ipctap read)`);
  const fromId = fromText === undefined ? undefined : Number(fromText);
  const json = flag(p, 'json');

  // Decode as the capture was decoded, unless told otherwise.
  const { decode, decodeByTap } = await captureDecodeOptions(file, list(p, 'decode'));

  const write = str(p, 'write');
  const live = new LiveSession({
    decode,
    decodeByTap,
    capturePath: write ? resolve(write) : undefined,
    json,
    quiet: flag(p, 'quiet'),
    showStdio: true,
    textOut: process.stdout,
  });
  await live.session.start();
  let result;
  try {
    result = await replayConnection({ file, conn: Number(connText), to, timeoutMs, pace, session: live.session, decode, decodeByTap, fromId });
  } finally {
    await live.session.stop();
    live.flushRows();
  }
  const counts = { same: 0, differs: 0, missing: 0, extra: 0 };
  for (const c of result.comparisons) counts[c.result]++;
  for (const n of result.notes) process.stderr.write(`ipctap: ${n}\n`);
  if (json) {
    process.stdout.write(
      toJson({
        type: 'replay-result',
        conn: Number(connText),
        sent: result.sent,
        ok: result.ok,
        ...counts,
        responses: result.comparisons.map((c) => ({ index: c.index, result: c.result, at: c.at, original: c.original?.id, replayed: c.replayed?.id })),
      }) + '\n',
    );
  } else {
    const detail = result.comparisons.map((c) => `#${c.index + 1} ${c.result === 'differs' ? `differs at byte ${c.at}` : c.result}`);
    process.stdout.write(
      `replay: sent ${result.sent} frames; ${result.comparisons.length} responses: ${counts.same} same, ${counts.differs} differ, ${counts.missing} missing` +
        (counts.extra ? `, ${counts.extra} extra` : '') +
        (detail.length && detail.length <= 50 ? ` (${detail.join(', ')})` : '') +
        '\n',
    );
  }
  return result.ok ? 0 : 3;
}
