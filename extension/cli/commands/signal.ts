// ipctap signal PID SIGNAL [--group] | ipctap signal --list
import { formatSignalTable, parseSignal, sendSignal } from '../../engine';
import { flag, parseArgs, usageError } from '../args';
import { askSessions } from '../control';

export async function signalCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'group' }, { name: 'list', short: 'l' }], 'signal');
  if (flag(p, 'list')) {
    if (p.positionals.length > 0 || flag(p, 'group')) throw usageError('usage: ipctap signal --list (no other arguments)');
    process.stdout.write(formatSignalTable() + '\n');
    return 0;
  }
  if (p.positionals.length !== 2) throw usageError('usage: ipctap signal PID SIGNAL [--group]  |  ipctap signal --list');
  const [pidText, sigText] = p.positionals as [string, string];
  if (!/^\d+$/.test(pidText)) throw usageError(`'${pidText}' is not a process id`);
  const pid = Number(pidText);
  const sig = parseSignal(sigText);
  const group = flag(p, 'group');
  // A session that launched this pid sends it itself, so the signal lands on its timeline.
  const viaSession = await askSessions({ method: 'processes' }, (r) => Array.isArray(r.result) && r.result.some((x: { pid?: number }) => x.pid === pid));
  if (viaSession) {
    const { ask } = await import('../control');
    const reply = await ask(viaSession.path, { method: 'signal', pid, signal: sig.name, group });
    if (reply.error) throw usageError(reply.error);
    process.stdout.write(`sent ${sig.name} to ${group ? 'process group ' : 'pid '}${pid} (recorded by the ipctap session)\n`);
    return 0;
  }
  sendSignal(pid, sig.name, { group });
  process.stdout.write(`sent ${sig.name} to ${group ? 'process group ' : 'pid '}${pid}\n`);
  return 0;
}
