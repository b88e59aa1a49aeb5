// ipctap diff A.ipctap B.ipctap [--conn N[:M]] [--json] [--all]
import { existsSync } from 'node:fs';
import { diffCaptures, diffText, readCaptureRows, UserError, toJson, type Row } from '../../engine';
import { flag, list, parseArgs, str, usageError } from '../args';
import { decodeOptions, protoOptions } from './run';

/** Exit status when the conversations differ (as replay's). */
export const DIFFERENT = 3;

async function rowsOf(file: string, p: ReturnType<typeof parseArgs>): Promise<Row[]> {
  if (!existsSync(file)) throw new UserError(`no such file: ${file}`);
  const rows: Row[] = [];
  for await (const r of readCaptureRows(file, {
    ...decodeOptions(list(p, 'decode')),
    ...protoOptions(p),
    onWarning: (w) => process.stderr.write(`ipctap: warning: ${file}: ${w}\n`),
  })) {
    if (r.type === 'frame') rows.push(r);
  }
  return rows;
}

export async function diffCommand(argv: string[]): Promise<number> {
  const p = parseArgs(
    argv,
    [
      { name: 'conn', value: true },
      { name: 'json' },
      { name: 'all' },
      { name: 'decode', short: 'd', value: true, multiple: true },
      { name: 'proto', value: true, multiple: true },
      { name: 'proto-type', value: true },
    ],
    'diff',
  );
  if (p.positionals.length !== 2) throw usageError('usage: ipctap diff A.ipctap B.ipctap [--conn N[:M]] [--json] [--all]');
  const connArg = str(p, 'conn');
  let conns: { a: number; b: number } | undefined;
  if (connArg !== undefined) {
    const m = connArg.match(/^(\d+)(?::(\d+))?$/);
    if (!m) throw usageError(`--conn ${connArg}: expected N or N:M (connection N of A with connection M of B)`);
    conns = { a: Number(m[1]), b: Number(m[2] ?? m[1]) };
  }
  const [fa, fb] = p.positionals as [string, string];
  const d = diffCaptures(await rowsOf(fa, p), await rowsOf(fb, p), conns);
  const different = d.counts.changed + d.counts.onlyA + d.counts.onlyB + d.unmatchedA.length + d.unmatchedB.length > 0;
  if (flag(p, 'json')) process.stdout.write(toJson({ type: 'diff', same: !different, ...d }) + '\n');
  else process.stdout.write(diffText(d, flag(p, 'all')) + '\n');
  return different ? DIFFERENT : 0;
}
