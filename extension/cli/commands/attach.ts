// ipctap attach PID [--json] [--tap SPEC...] [--trace [--trace-files] [--trace-all-cpus]]
import { formatEndpoints, listEndpoints, memoryNotes, toJson } from '../../engine';
import { flag, list, parseArgs, usageError } from '../args';
import { LiveSession } from '../live';
import { COMMON, liveOptions, serveTaps, TRACE, traceOptions } from './run';

const ATTACH = [...COMMON, ...TRACE];

export async function attachCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ATTACH, 'attach');
  if (p.positionals.length !== 1 || !/^\d+$/.test(p.positionals[0]!))
    throw usageError('usage: ipctap attach PID [--json] [--tap SPEC...] [--trace [--trace-files] [--trace-all-cpus]]');
  const pid = Number(p.positionals[0]);
  const traced = traceOptions(p);
  if (flag(p, 'trace')) return traceAttached(p, pid, traced);
  const endpoints = await listEndpoints(pid);
  const taps = list(p, 'tap');
  if (taps.length === 0) {
    const notes = flag(p, 'json') ? [] : memoryNotes(pid);
    process.stdout.write(flag(p, 'json') ? toJson(endpoints) + '\n' : formatEndpoints(endpoints) + '\n' + (notes.length ? '\n' + notes.join('\n') + '\n' : ''));
    return 0;
  }
  return serveTaps(p, taps, `taking over new connections only: connections pid ${pid} already has open keep talking directly and are not captured (--trace sees them)`);
}

/** Trace a running process (and --tap taps beside it) until Ctrl-C; the process goes on running. */
async function traceAttached(p: ReturnType<typeof parseArgs>, pid: number, traced: ReturnType<typeof traceOptions>): Promise<number> {
  const live = new LiveSession(liveOptions(p, process.stdout));
  await live.start();
  try {
    const trace = await live.session.addTrace({ pid, ...traced });
    // The process and every child it started exited: nothing more to see.
    void trace.tracerGone.then(() => live.stop(`pid ${pid} exited`));
    for (const spec of list(p, 'tap')) await live.session.addTap(spec);
  } catch (err) {
    await live.stop();
    throw err;
  }
  if (!flag(p, 'json')) process.stderr.write(`ipctap: tracing pid ${pid}; press Ctrl-C to detach (the process keeps running)\n`);
  await live.stopped;
  return 0;
}
