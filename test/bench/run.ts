// npm run bench: every benchmark, each with its reference measured side by side in the same run.
//   npm run bench                  all (forwarding uses 1 GiB; takes a few minutes)
//   npm run bench -- --quick       smaller sizes
//   npm run bench -- forward|decode|decode-peers|capture|many|shm|trace   one part
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const quick = process.argv.includes('--quick');
if (quick) process.argv.push('--gib', '0.25', '--small-mib', '32', '--pings', '2000');
const only = process.argv.slice(2).filter((a) => ['forward', 'decode', 'decode-peers', 'capture', 'many', 'shm', 'trace'].includes(a));
const want = (name: string) => only.length === 0 || only.includes(name);

async function main(): Promise<void> {
  const parts: [string, string, string][] = [
    ['forward', './forward', 'benchForward'],
    ['decode', './decode', 'benchDecoders'],
    ['decode-peers', './decode-peers', 'benchPeerDecoders'],
    ['capture', './capture', 'benchCapture'],
    ['many', './many', 'benchMany'],
    ['shm', './shm', 'benchShm'],
    ['trace', './trace', 'benchTrace'],
  ];
  for (const [name, mod, fn] of parts) {
    if (!want(name)) continue;
    if (!existsSync(join(__dirname, `${mod}.ts`))) {
      console.log(`(${name} benchmark not present)`);
      continue;
    }
    const m = (await import(mod)) as Record<string, () => Promise<string>>;
    console.log(`\n== ${name} ==`);
    console.log(await m[fn]!());
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
