// ipctap restore
import { restoreAll } from '../../engine';
import { parseArgs, usageError } from '../args';

export async function restoreCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, [], 'restore');
  if (p.positionals.length) throw usageError(`unexpected argument '${p.positionals[0]}'`);
  const results = await restoreAll();
  if (results.length === 0) {
    process.stdout.write('nothing to restore\n');
    return 0;
  }
  let failed = 0;
  for (const r of results) {
    process.stdout.write(`${r.message}\n`); // each message says what was done
    if (r.action === 'failed') failed++;
  }
  return failed ? 2 : 0;
}
