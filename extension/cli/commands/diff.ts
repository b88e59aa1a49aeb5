// ipctap diff A.ipctap B.ipctap [--conn N[:M]] [--json] [--all]
import { existsSync } from 'node:fs';
import { diffCaptures, type CaptureDiff } from '../../engine/diff';
import { readCaptureRows } from '../../engine/read';
import { formatLatency } from '../../engine/rows';
import type { Row } from '../../engine/types';
import { UserError } from '../../engine/util/errors';
import { toJson } from '../../engine/util/json';
import { flag, list, parseArgs, str, usageError } from '../args';
import { decodeOptions, protoOptions } from './run';

/** Exit status when the conversations differ (as replay's). */
export const DIFFERENT = 3;

async function rowsOf(file: string, p: ReturnType<typeof parseArgs>): Promise<Row[]> {
  if (!existsSync(file)) throw new UserError(`no such file: ${file}`);
  const rows: Row[] = [];
  for await (const r of readCaptureRows(file, { ...decodeOptions(list(p, 'decode')), ...protoOptions(p), onWarning: (w) => process.stderr.write(`ipctap: warning: ${file}: ${w}\n`) })) {
    if (r.type === 'frame') rows.push(r);
  }
  return rows;
}

const show = (v: unknown): string => {
  const s = v === undefined ? '(absent)' : toJson(v);
  return s.length > 80 ? s.slice(0, 79) + '…' : s;
};

function formatDiff(d: CaptureDiff, all: boolean): string {
  const lines: string[] = [];
  for (const c of d.conns) {
    lines.push(`connection ${c.connA} ↔ ${c.connB}, ${c.dir}:`);
    let same = 0;
    const flushSame = () => {
      if (same && !all) lines.push(`  = ${same} message${same === 1 ? '' : 's'} the same`);
      same = 0;
    };
    for (const m of c.messages) {
      if (m.kind === 'same') {
        if (all) lines.push(`  = #${m.a} ↔ #${m.b} ${m.summary}`);
        else same++;
        continue;
      }
      flushSame();
      if (m.kind === 'changed') {
        lines.push(`  ~ #${m.a} ↔ #${m.b} ${m.summary}`);
        for (const ch of m.changes) lines.push(`      ${ch.path}: ${show(ch.a)} → ${show(ch.b)}`);
      } else if (m.kind === 'only-a') lines.push(`  - #${m.a} only in A: ${m.summary}`);
      else lines.push(`  + #${m.b} only in B: ${m.summary}`);
    }
    flushSame();
  }
  for (const c of d.unmatchedA) lines.push(`connection ${c} only in A`);
  for (const c of d.unmatchedB) lines.push(`connection ${c} only in B`);
  if (d.timing.length) {
    lines.push('latency per method (p50):');
    const w = d.timing.reduce((n, t) => Math.max(n, t.method.length), 6);
    for (const t of d.timing) {
      const a = t.p50A === null ? '-' : formatLatency(t.p50A);
      const b = t.p50B === null ? '-' : formatLatency(t.p50B);
      const ratio = t.p50A && t.p50B ? ` (${(t.p50B / t.p50A).toFixed(2)}×)` : '';
      lines.push(`  ${t.method.padEnd(w)}  A ${a.padStart(9)} (${t.callsA} calls)   B ${b.padStart(9)} (${t.callsB} calls)${ratio}`);
    }
  }
  const { same, changed, onlyA, onlyB } = d.counts;
  lines.push(changed + onlyA + onlyB + d.unmatchedA.length + d.unmatchedB.length === 0 ? `the same: ${same} message${same === 1 ? '' : 's'}` : `different: ${same} same, ${changed} changed, ${onlyA} only in A, ${onlyB} only in B`);
  return lines.join('\n');
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
  else process.stdout.write(formatDiff(d, flag(p, 'all')) + '\n');
  return different ? DIFFERENT : 0;
}
