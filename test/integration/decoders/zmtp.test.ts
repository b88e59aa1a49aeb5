// ZMTP decoder against real ZeroMQ peers (Debian /usr/bin/python3 + python3-zmq, libzmq 4.3):
// REQ/REP, PUB/SUB with topics, ROUTER/DEALER multipart, over tcp:// (127.0.0.1, through a tcp
// proxy tap) and ipc:// (the server's Unix socket taken over in place). The parts each peer sent
// (it prints them) must equal the decoded message parts, in order, per direction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { zmtpDecoder } from '../../../extension/engine/decoders/zmtp/index';
import type { Frame } from '../../../extension/engine/types';
import { JsonProcess } from '../../helpers/json-process';
import { decodeRecorded } from '../../helpers/recording-relay';
import { recordThroughTap, tapPort, type TapRecorder } from '../../helpers/tap-recorder';

const PYTHON = '/usr/bin/python3'; // Debian's, which has python3-zmq (not a pyenv python on PATH)
const SCRIPT = resolve(__dirname, '../../fixtures/python/zmq_peers.py');

type Line = Record<string, unknown>;
const d = (f: Frame) => f.decoded as Record<string, any>;

async function runScenario(scenario: string, transport: 'tcp' | 'ipc') {
  const tmp = mkdtempSync(join(tmpdir(), 'ipctap-zmtp-'));
  const serverPath = join(tmp, 'server.sock');
  const py = new JsonProcess(PYTHON, [SCRIPT, scenario, transport === 'tcp' ? 'tcp://127.0.0.1:*' : `ipc://${serverPath}`]);
  let rec: TapRecorder | undefined;
  try {
    const { bound } = await py.line<{ bound: string }>((o) => 'bound' in o);
    // ipc://: take over the socket the server bound (renamed aside, ours in its place), so the
    // client connects to the very path the server announced. tcp://: a proxy tap in front.
    rec = await recordThroughTap(transport === 'ipc' ? `unix:${serverPath}` : `tcp:0=127.0.0.1:${bound.slice(bound.lastIndexOf(':') + 1)}`);
    py.send(transport === 'ipc' ? bound : `tcp://127.0.0.1:${tapPort(rec.tap)}`);
    await py.line((o) => o.done === true);
    assert.equal(await py.exited, 0, py.stderr.join(''));
    await rec.idle();
    const chunks = rec.chunks;
    await rec.stop();
    rec = undefined;
    if (transport === 'ipc') assert.ok(existsSync(serverPath), 'the taken-over socket is back in place');
    return { lines: py.lines as Line[], conns: decodeRecorded(zmtpDecoder, chunks) };
  } finally {
    if (rec) await rec.stop();
    await py.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
}
function sentBy(lines: Line[], side: string): string[][] {
  return lines.filter((o) => o.side === side).map((o) => o.parts as string[]);
}

function checkCommon(frames: Frame[], clientType: string, serverType: string) {
  assert.deepEqual(
    frames.filter((f) => f.error).map((f) => f.error),
    [],
  );
  for (const [dir, type] of [
    ['c2s', clientType],
    ['s2c', serverType],
  ] as const) {
    const mine = frames.filter((f) => f.dir === dir);
    assert.equal(d(mine[0]).kind, 'greeting');
    assert.equal(d(mine[0]).major, 3);
    assert.equal(d(mine[0]).mechanism, 'NULL');
    assert.equal(d(mine[1]).name, 'READY');
    assert.equal(d(mine[1]).properties['Socket-Type'], type);
  }
}

const messages = (frames: Frame[], dir: string) => frames.filter((f) => f.dir === dir && d(f).kind === 'message');

for (const transport of ['tcp', 'ipc'] as const) {
  test(`zmtp ${transport}: REQ/REP parts match what the peers sent`, async () => {
    const { lines, conns } = await runScenario('reqrep', transport);
    assert.equal(conns.size, 1);
    const frames = [...conns.values()][0];
    checkCommon(frames, 'REQ', 'REP');
    // REQ and REP put an empty delimiter part before the body on the wire.
    const req = messages(frames, 'c2s');
    const rep = messages(frames, 's2c');
    assert.deepEqual(
      req.map((f) => d(f).parts),
      sentBy(lines, 'client').map((p) => ['', ...p]),
    );
    assert.deepEqual(
      rep.map((f) => d(f).parts),
      sentBy(lines, 'server').map((p) => ['', ...p]),
    );
    assert.ok(req.every((f) => d(f).delimiter === 0));
    assert.equal(req[0].summary, 'REQ message [2 parts] "hello 0"');
    assert.deepEqual(d(rep[3]).text, ['', 'ok', 'ünïcode ✓']);
    assert.deepEqual(d(req[3]).text, ['', 'multi', null]); // binary part: no text
    // Requests and replies pair in order.
    assert.deepEqual(
      req.map((f) => f.pair?.key),
      rep.map((f) => f.pair?.key),
    );
  });

  test(`zmtp ${transport}: PUB/SUB topics, subscriptions and cancels`, async () => {
    const { lines, conns } = await runScenario('pubsub', transport);
    const frames = [...conns.values()][0];
    checkCommon(frames, 'SUB', 'PUB');
    const subs = frames.filter((f) => f.dir === 'c2s' && (d(f).name === 'SUBSCRIBE' || d(f).kind === 'subscribe'));
    const cancels = frames.filter((f) => f.dir === 'c2s' && (d(f).name === 'CANCEL' || d(f).kind === 'cancel'));
    assert.deepEqual(
      subs.map((f) => d(f).topicBase64),
      lines.filter((o) => 'subscribe' in o).map((o) => o.subscribe),
    );
    assert.deepEqual(
      cancels.map((f) => d(f).topicBase64),
      lines.filter((o) => 'cancel' in o).map((o) => o.cancel),
    );
    assert.deepEqual(
      subs.map((f) => d(f).topic),
      ['news', 'weather'],
    );
    // Everything the publisher sent that matched a subscription is on the wire, in order; the
    // message on an unsubscribed topic was filtered by the publisher and never sent.
    // Leading warm-up messages (sent until one got through) are on the wire too.
    const all = messages(frames, 's2c');
    const pub = all.filter((f) => d(f).text[1] !== 'warm-up');
    assert.ok(all.length - pub.length >= 1);
    assert.ok(all.slice(0, all.length - pub.length).every((f) => d(f).text[1] === 'warm-up'));
    assert.deepEqual(
      pub.map((f) => d(f).parts),
      sentBy(lines, 'server'),
    );
    const filtered = lines.find((o) => 'filtered' in o)!.filtered;
    assert.ok(!pub.some((f) => JSON.stringify(d(f).parts) === JSON.stringify(filtered)));
    const last = pub[pub.length - 1];
    assert.deepEqual(d(last).text, ['news', 'final']);
    assert.equal(last.summary, 'PUB message [2 parts] "news" | "final"');
  });

  test(`zmtp ${transport}: ROUTER/DEALER multipart with identity`, async () => {
    const { lines, conns } = await runScenario('routerdealer', transport);
    const frames = [...conns.values()][0];
    checkCommon(frames, 'DEALER', 'ROUTER');
    assert.equal(d(frames.filter((f) => f.dir === 'c2s')[1]).properties.Identity, 'dealer-1');
    const routingId = lines.find((o) => 'routing_id' in o)!.routing_id;
    assert.equal(Buffer.from(routingId as string, 'base64').toString(), 'dealer-1');
    assert.deepEqual(
      messages(frames, 'c2s').map((f) => d(f).parts),
      sentBy(lines, 'client'),
    );
    // ROUTER's first part is the routing id, which the socket strips before sending.
    const routerSent = sentBy(lines, 'server').map((p) => p.slice(1));
    assert.deepEqual(
      messages(frames, 's2c').map((f) => d(f).parts),
      routerSent,
    );
    assert.equal(messages(frames, 'c2s')[1].data.length, 5 * 4);
  });
}
