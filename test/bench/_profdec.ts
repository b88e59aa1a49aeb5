import { defaultCases } from './decode';
import { resolveDecoder } from '../../extension/engine/protocols/registry';
const label = process.argv[2];
const c = defaultCases().find((x) => (x.label ?? x.decoder) === label)!;
const t0 = Date.now(); let frames = 0; let bytes = 0;
while (Date.now() - t0 < 6000) {
  const d = resolveDecoder(c.decoder, c.options as never).create(c.options as never);
  for (let i = 0; i < c.bytes.length; i += 65536) { frames += d.push('c2s', c.bytes.subarray(i, i + 65536)).length; }
  bytes += c.bytes.length;
}
console.log(label, (bytes / 1e6 / ((Date.now() - t0) / 1000)).toFixed(0), 'MB/s');
