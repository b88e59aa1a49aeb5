// ipctap export FILE --pcapng OUT
import { existsSync } from 'node:fs';
import { exportPcapng, UserError } from '../../engine';
import { parseArgs, str, usageError } from '../args';

export async function exportCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'pcapng', value: true }], 'export');
  if (p.positionals.length !== 1) throw usageError('usage: ipctap export FILE --pcapng OUT.pcapng');
  const out = str(p, 'pcapng');
  if (out === undefined) throw usageError('export: --pcapng OUT.pcapng is needed (the only format so far)');
  const file = p.positionals[0]!;
  if (!existsSync(file)) throw new UserError(`no such file: ${file}`);
  const r = await exportPcapng(file, out);
  process.stderr.write(`ipctap: wrote ${out}: ${r.connections} connection${r.connections === 1 ? '' : 's'} as TCP on 127.0.0.1, ${r.packets} packets\n`);
  for (const c of r.ports) process.stderr.write(`  conn ${c.conn}  ${c.tap}  →  tcp.port == ${c.serverPort} (client port ${c.clientPort})\n`);
  return 0;
}
