// ipctap decoders
import { listDecoders, maxOf } from '../../engine';
import { parseArgs } from '../args';

export async function decodersCommand(argv: string[]): Promise<number> {
  parseArgs(argv, [], 'decoders');
  const list = listDecoders();
  const w = maxOf(
    list.map((d) => d.name.length),
    4,
  );
  for (const d of list) process.stdout.write(`${d.name.padEnd(w)}  ${d.description}\n`);
  process.stdout.write(`\nLayered: OUTER+INNER decodes the outer framing's payloads with INNER, e.g. len32be+msgpack.\n`);
  return 0;
}
