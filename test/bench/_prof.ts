import { peerCases, decodeAll } from './decode-peers';
(async () => {
  const which = process.argv[2] ?? 'gob';
  const label = process.argv[3];
  const cases = (await peerCases([which])).filter((c) => !label || (c.label ?? c.decoder) === label);
  for (const c of cases) {
    const t0 = Date.now(); let n = 0;
    while (Date.now() - t0 < 6000) n += decodeAll(c, 1);
    console.log(c.label ?? c.decoder, Math.round(n / ((Date.now() - t0) / 1000)), 'frames/s');
  }
})();
