// ipctap attach PID [--json] [--tap SPEC...]
import { formatEndpoints, listEndpoints } from '../../engine/process/attach';
import { memoryNotes } from '../../engine/shm/notes';
import { toJson } from '../../engine/util/json';
import { flag, list, parseArgs, usageError } from '../args';
import { COMMON, serveTaps } from './run';

export async function attachCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, COMMON, 'attach');
  if (p.positionals.length !== 1 || !/^\d+$/.test(p.positionals[0]!)) throw usageError('usage: ipctap attach PID [--json] [--tap SPEC...]');
  const pid = Number(p.positionals[0]);
  const endpoints = await listEndpoints(pid);
  const taps = list(p, 'tap');
  if (taps.length === 0) {
    const notes = flag(p, 'json') ? [] : memoryNotes(pid);
    process.stdout.write(flag(p, 'json') ? toJson(endpoints) + '\n' : formatEndpoints(endpoints) + '\n' + (notes.length ? '\n' + notes.join('\n') + '\n' : ''));
    return 0;
  }
  return serveTaps(
    p,
    taps,
    `taking over new connections only: connections pid ${pid} already has open keep talking directly and are not captured`,
  );
}
