// ipctap shm list [--json] | ipctap shm watch TARGET [options]
import { formatListing, listSharedMemory, parseRegion, parseWatchTarget, targetSpec, ShmWatchTap, UserError, toJson } from '../../engine';
import { flag, intOpt, parseArgs, str, usageError, type OptionSpec } from '../args';
import { LiveSession } from '../live';
import { liveOptions } from './run';

const WATCH: OptionSpec[] = [
  { name: 'interval', value: true },
  { name: 'region', value: true },
  { name: 'layout', value: true },
  { name: 'decode', short: 'd', value: true },
  { name: 'write', short: 'w', value: true },
  { name: 'checksum-data' },
  { name: 'no-direct-io' },
  { name: 'json' },
  { name: 'quiet', short: 'q' },
  { name: 'stats' },
];

export async function shmCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'list') return shmList(rest);
  if (sub === 'watch') return shmWatch(rest);
  throw usageError(sub ? `unknown 'ipctap shm ${sub}': use 'shm list' or 'shm watch TARGET'` : "ipctap shm needs 'list' or 'watch TARGET' (see ipctap help shm)");
}

async function shmList(argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'json' }], 'shm');
  if (p.positionals.length) throw usageError(`unexpected argument '${p.positionals[0]}' for 'ipctap shm list'`);
  const listing = await listSharedMemory();
  process.stdout.write((flag(p, 'json') ? toJson(listing) : formatListing(listing)) + '\n');
  return 0;
}

async function shmWatch(argv: string[]): Promise<number> {
  const p = parseArgs(argv, WATCH, 'shm');
  if (p.positionals.length !== 1)
    throw usageError('usage: ipctap shm watch KEY|ID|/dev/shm/NAME|FILE|PID:ADDR [--interval MS] [--region OFF:LEN] [--layout FIELDS] [--decode PROTO] [-w FILE] [--json]');
  const target = p.positionals[0]!;
  const spec = targetSpec(parseWatchTarget(target));
  const interval = intOpt(p, 'interval', 50);
  if (interval < 1) throw usageError('--interval must be at least 1 ms');
  const regionText = str(p, 'region');
  const region = regionText !== undefined ? parseRegion(regionText) : undefined;
  const decode = str(p, 'decode');
  // (--decode names the region's decoder here; the watch's own records always use `shm`.)
  const base = liveOptions({ ...p, opts: { ...p.opts, decode: undefined } }, process.stdout);
  const live = new LiveSession({ ...base, decode: 'auto', decodeByTap: { [spec]: 'shm' } });
  const tap = new ShmWatchTap({ target, interval, region, layout: str(p, 'layout'), decode }, live.session.sink);
  await live.start();
  try {
    await live.session.addTapInstance(tap, 'shm');
  } catch (err) {
    await live.stop();
    throw err instanceof Error && !(err instanceof UserError) ? new UserError(err.message) : err;
  }
  const json = flag(p, 'json');
  if (!json) process.stderr.write(`ipctap: watching ${spec} through ${tap.address}; every ${interval} ms (changes between two snapshots are merged); Ctrl-C to stop\n`);
  const why = await Promise.race([tap.ended, live.stopped.then(() => 'stopped')]);
  await live.stop();
  if (why !== 'stopped' && !json) process.stderr.write(`ipctap: watch ended: ${why}\n`);
  return 0;
}
