// The strace line parser, the -yy endpoint parser and the assembler, on strace output recorded
// from a real run (test/fixtures/strace/python-pair.txt: a Python parent and its forked child
// over a pipe, a socketpair, local TCP and a Unix socket, traced with -f -yy -xx -s 16).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TapSink } from '../../../extension/engine/taps/tap';
import { TraceAssembler, Flow } from '../../../extension/engine/trace/assembler';
import { connectionKey, parseEndpoint } from '../../../extension/engine/trace/endpoint';
import { callData, fdOf, StraceLineParser, type StraceRecord } from '../../../extension/engine/trace/strace-line';
import type { Direction, EventBody } from '../../../extension/engine/types';
import { RowBuilder } from '../../../extension/engine/rows';
import { eventSummary } from '../../../extension/shared/event-summary';
import { describeEvent } from '../../../extension/cli/format';

const recorded = readFileSync(join(__dirname, '../../fixtures/strace/python-pair.txt'), 'latin1').split('\n').filter(Boolean);

function parseAll(lines: string[]): StraceRecord[] {
  const p = new StraceLineParser();
  return lines.map((l) => p.parse(l)).filter((r): r is StraceRecord => r !== undefined);
}

test('parser: unfinished/resumed halves joined per pid, padded returns, signals, exits', () => {
  const recs = parseAll(recorded);
  const first = recs[0]!;
  assert.equal(first.type, 'call');
  if (first.type !== 'call') return;
  // The child's write completes first; the parent's read is joined with its resumed half.
  assert.equal(first.name, 'write');
  assert.equal(first.pid, 24316);
  const read = recs.find((r) => r.type === 'call' && r.name === 'read' && r.pid === 24237)!;
  assert.ok(read.type === 'call');
  if (read.type !== 'call') return;
  assert.equal(read.ret, 8);
  assert.deepEqual(Buffer.from(callData(read.name, read.args, read.ret)[0] as Uint8Array), Buffer.from('hello\n\x00\xff', 'latin1'));
  // "<... sendto resumed>)             = 4": the return after padding.
  const sends = recs.filter((r) => r.type === 'call' && r.name === 'sendto');
  assert.deepEqual(
    sends.map((r) => (r.type === 'call' ? r.ret : -1)),
    [4, 3, 4],
  );
  // A resumed half whose start was not seen is dropped, not misread.
  assert.equal(recs.filter((r) => r.type === 'call' && r.name === 'write').length, 2);
  const sig = recs.find((r) => r.type === 'signal')!;
  assert.deepEqual(sig, { type: 'signal', pid: 24237, signal: 'SIGCHLD', senderPid: 24316, senderUid: 0, code: 'CLD_EXITED' });
  assert.deepEqual(
    recs.filter((r) => r.type === 'exit'),
    [
      { type: 'exit', pid: 24316, code: 3, signal: null },
      { type: 'exit', pid: 24237, code: 0, signal: null },
    ],
  );
  assert.deepEqual(new StraceLineParser().parse('77 +++ killed by SIGKILL +++'), { type: 'exit', pid: 77, code: null, signal: 'SIGKILL' });
});

test('parser: strings longer than -s leave a missing count; iovecs and messages keep their order', () => {
  const recs = parseAll(recorded);
  const big = recs.find((r) => r.type === 'call' && r.name === 'write' && r.ret === 60000)!;
  assert.ok(big.type === 'call');
  if (big.type !== 'call') return;
  const pieces = callData(big.name, big.args, big.ret);
  assert.equal((pieces[0] as Uint8Array).length, 16);
  assert.equal(pieces[1], 60000 - 16);
  const v = callData('writev', '3<pipe:[1]>, [{iov_base="\\x61\\x62"..., iov_len=5}, {iov_base="\\x63", iov_len=1}], 2', 6);
  assert.deepEqual(
    v.map((p) => (typeof p === 'number' ? p : Buffer.from(p).toString())),
    ['ab', 3, 'c'],
  );
  const msg = callData(
    'recvmsg',
    '5<UNIX-STREAM:[1->2]>, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="\\x68\\x69", iov_len=4096}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0',
    2,
  );
  assert.deepEqual(
    msg.map((p) => (typeof p === 'number' ? p : Buffer.from(p).toString())),
    ['hi'],
  );
});

test('endpoints: -yy annotations, and both ends of a pipe / socketpair / TCP connection share a key', () => {
  const a = fdOf('13<UNIX-STREAM:[218527->218526,"\\x2f\\x74\\x6d\\x70\\x2f\\x61\\x70\\x70\\x2e\\x73\\x6f\\x63\\x6b"]>,  ')!;
  assert.equal(a.fd, 13);
  const ua = parseEndpoint(a.annotation);
  assert.deepEqual(ua, { kind: 'socket', family: 'UNIX-STREAM', local: '218527', peer: '218526', path: '/tmp/app.sock', text: a.annotation });
  const ub = parseEndpoint('UNIX-STREAM:[218526->218527]');
  assert.equal(connectionKey(ua).key, connectionKey(ub).key);
  const p = parseEndpoint(fdOf('3<\\x70\\x69\\x70\\x65\\x3a\\x5b\\x32\\x31\\x38\\x35\\x31\\x37\\x5d>, ""')!.annotation);
  assert.deepEqual(p, { kind: 'pipe', ino: '218517', text: 'pipe:[218517]' });
  const t1 = parseEndpoint('TCP:[127.0.0.1:50677->127.0.0.1:50066]');
  const t2 = parseEndpoint('TCPv6:[[::1]:50066->[::1]:50677]');
  assert.equal(connectionKey(t1).key, connectionKey(parseEndpoint('TCP:[127.0.0.1:50066->127.0.0.1:50677]')).key);
  assert.equal(connectionKey(t2).end, '[::1]:50066');
  assert.equal(parseEndpoint('NETLINK:[ROUTE:1234]').kind, 'other');
  assert.equal(parseEndpoint('UNIX-DGRAM:[77]').kind, 'socket');
  assert.deepEqual(parseEndpoint('/tmp/x.fifo'), { kind: 'path', path: '/tmp/x.fifo', text: '/tmp/x.fifo' });
});

interface Out {
  chunks: { conn: number; dir: Direction; data: string }[];
  events: EventBody[];
}

function assemble(recs: StraceRecord[], opts: Partial<ConstructorParameters<typeof TraceAssembler>[1]> = {}): Out {
  const out: Out = { chunks: [], events: [] };
  let next = 1;
  const sink: TapSink = {
    newConn: () => next++,
    chunk: (conn, dir, data) => out.chunks.push({ conn, dir, data: Buffer.from(data).toString('latin1') }),
    event: (ev) => out.events.push(ev),
  };
  const asm = new TraceAssembler(sink, { tgidOf: (t) => t, pathKind: () => 'other', commOf: (p) => (p === 24316 ? 'python3' : undefined), ...opts });
  for (const r of recs) asm.record(r);
  asm.finish();
  return out;
}

test('assembler: one connection per pipe/socket, each byte once, gaps for what no side printed', () => {
  const out = assemble(parseAll(recorded));
  const opens = out.events.filter((e) => e.kind === 'open');
  // (Each as the first call that showed bytes saw it: here the parent's reads returned first.)
  assert.deepEqual(
    opens.map((o) => o.from),
    ['pipe:[218517]', 'UNIX-STREAM:[218519->218518]', 'TCP:[127.0.0.1:50677->127.0.0.1:50066]', 'UNIX-STREAM:[218527->218526,"/tmp/app.sock"]'],
  );
  const pipe = opens[0]!.conn!;
  // Written by the child and read by the parent: captured once.
  const pipeBytes = out.chunks
    .filter((c) => c.conn === pipe)
    .map((c) => c.data)
    .join('');
  assert.equal(pipeBytes, 'hello\n\x00\xff' + 'x'.repeat(16));
  const gaps = out.events.filter((e) => e.kind === 'gap');
  assert.deepEqual(
    gaps.map((g) => [g.conn, g.dir, g.bytes, g.tap]),
    [[pipe, 'c2s', 59984, 'trace']],
  );
  // The sender of the first bytes is the client.
  for (const [i, text] of [
    [1, 'ping'],
    [2, 'tcp'],
    [3, 'unix'],
  ] as const) {
    assert.deepEqual(
      out.chunks.filter((c) => c.conn === opens[i]!.conn),
      [{ conn: opens[i]!.conn, dir: 'c2s', data: text }],
    );
    assert.deepEqual(opens[i]!.peers, { server: [24237] });
  }
  const joined = out.events.find((e) => e.kind === 'note' && e.conn === opens[1]!.conn && e.peers?.client?.includes(24316));
  assert.ok(joined);
  assert.match(String(joined.message), /^pid 24316 \(python3\) writes it on fd \d+$/);
  assert.match(describeEvent({ ...joined, ts: 0, mono: 0 }), new RegExp(`^#${opens[1]!.conn} note: pid 24316 \\(python3\\) writes it`));
  assert.match(eventSummary(joined), new RegExp(`^note conn ${opens[1]!.conn}: pid 24316 \\(python3\\) writes it`));
  assert.deepEqual(
    out.events.find((e) => e.kind === 'signal-received'),
    { kind: 'signal-received', pid: 24237, signal: 'SIGCHLD', senderPid: 24316, senderCommand: 'python3' },
  );
  assert.deepEqual(
    out.events.filter((e) => e.kind === 'exit').map((e) => [e.pid, e.code]),
    [
      [24316, 3],
      [24237, 0],
    ],
  );
  assert.equal(out.events.filter((e) => e.kind === 'close').length, 4);
});

test("assembler: the launched program's exit and stdio are left to the launcher; files only with traceFiles", () => {
  const recs = parseAll([...recorded, '24237 write(1</dev/pts/0>, "\\x68\\x69", 2) = 2']);
  const out = assemble(recs, { skipExitOf: 24237, excludeInodes: new Set(['218517']) });
  assert.deepEqual(
    out.events.filter((e) => e.kind === 'exit').map((e) => e.pid),
    [24316],
  );
  assert.ok(!out.events.some((e) => e.kind === 'open' && String(e.from).startsWith('pipe:')));
  assert.ok(!out.events.some((e) => e.kind === 'open' && e.from === '/dev/pts/0'));
  const withFiles = assemble(recs, { traceFiles: true });
  assert.ok(withFiles.events.some((e) => e.kind === 'open' && e.from === '/dev/pts/0'));
});

test('flow: bytes one side left out are filled in from the other side; a side outside the trace gives a gap at once', () => {
  const data = Buffer.from('0123456789'.repeat(10));
  const f = new Flow();
  const text = (ps: (Uint8Array | number)[]) => ps.map((p) => (typeof p === 'number' ? `<${p} missing>` : Buffer.from(p).toString())).join('');
  assert.equal(text(f.add(1, [data.subarray(0, 25)])), data.subarray(0, 25).toString());
  // The writer's call printed 16 of 100 bytes: the rest waits for the reader, who is behind.
  assert.equal(text(f.add(0, [data.subarray(0, 16), 84])), '');
  let got = '';
  for (let i = 1; i < 4; i++) got += text(f.add(1, [data.subarray(i * 25, i * 25 + 25)]));
  assert.equal(got, data.subarray(25).toString());
  assert.deepEqual(f.finish(), []);
  // A reader that stops early: what nobody printed is a gap once the stream ends.
  const g = new Flow();
  g.add(1, [data.subarray(0, 10)]);
  assert.equal(text(g.add(0, [data.subarray(0, 16), 84])), '012345');
  assert.equal(text(g.finish()), '<84 missing>');
  const alone = new Flow();
  assert.deepEqual(
    alone.add(0, [Buffer.from('ab'), 5]).map((p) => (typeof p === 'number' ? p : p.toString())),
    ['ab', 5],
  );
});

test('rows: a gap ends the partial frame and the direction decodes afresh after it', () => {
  const rb = new RowBuilder({ decode: 'lines' });
  const at = { ts: 0, mono: 0 };
  rb.event({ kind: 'open', conn: 1, tap: 'trace', ...at });
  const rows = [
    ...rb.chunk({ conn: 1, dir: 'c2s', data: Buffer.from('one\ntw'), ...at }),
    ...rb.event({ kind: 'gap', conn: 1, dir: 'c2s', bytes: 10, ...at }),
    ...rb.chunk({ conn: 1, dir: 'c2s', data: Buffer.from('three\n'), ...at }),
  ];
  const fr = rows.filter((r) => r.type === 'frame');
  assert.deepEqual(
    fr.map((r) => (r.type === 'frame' ? Buffer.from(r.data).toString() : '')),
    ['one\n', 'tw', 'three\n'],
  );
  assert.ok(rows.some((r) => r.type === 'event' && r.kind === 'gap'));
});

test('panel and filter text of the trace events', () => {
  assert.equal(eventSummary({ kind: 'signal-received', pid: 10, signal: 'SIGUSR1', senderPid: 22, senderCommand: 'kill' }), 'signal SIGUSR1 received by pid 10 from pid 22 (kill)');
  assert.equal(
    eventSummary({ kind: 'gap', conn: 3, dir: 'c2s', bytes: 5, message: '5 bytes not captured (longer than strace printed)' }),
    'gap conn 3 c2s: 5 bytes not captured (longer than strace printed)',
  );
});

test('long lines keep their string as bytes, also across unfinished/resumed halves', () => {
  const data = Buffer.alloc(3000, 0).map((_, i) => (i * 7) & 0xff);
  const hex = [...data].map((b) => '\\x' + b.toString(16).padStart(2, '0')).join('');
  const p = new StraceLineParser();
  assert.equal(p.parseBytes(Buffer.from(`41 write(3<pipe:[5]>, "${hex}", 3000 <unfinished ...>`, 'latin1')), undefined);
  const w = p.parseBytes(Buffer.from('41 <... write resumed>)    = 3000', 'latin1'))!;
  const r = p.parseBytes(Buffer.from(`42 read(4<pipe:[5]>, "${hex}"..., 4000) = 3100`, 'latin1'))!;
  for (const rec of [w, r]) assert.ok(rec.type === 'call' && rec.blobs?.size === 1 && rec.args.length < 100, JSON.stringify(rec).slice(0, 200));
  if (w.type !== 'call' || r.type !== 'call') return;
  assert.deepEqual(Buffer.from(callData(w.name, w.args, w.ret, w.blobs)[0] as Uint8Array), data);
  const rp = callData(r.name, r.args, r.ret, r.blobs);
  assert.deepEqual([Buffer.from(rp[0] as Uint8Array).equals(data), rp[1]], [true, 100]);
});

test('a long line split into chunks anywhere (inside an escape, the header or the tail) parses as the whole line', () => {
  const data = Buffer.alloc(5000, 0).map((_, i) => (i * 13 + 1) & 0xff);
  const hex = [...data].map((b) => '\\x' + b.toString(16).padStart(2, '0')).join('');
  const line = Buffer.from(`77 write(9<pipe:[8]>, "${hex}", 5000) = 5000`, 'latin1');
  const q = line.indexOf(34);
  const cuts = [[5], [q, q + 1], [q + 2, q + 3, q + 4, 4000], [q + 1 + 4 * 1000 + 2, line.length - 3], [1000, 2001, 3003, 4005, 9999, line.length - 1]];
  for (const at of cuts) {
    const parts: Buffer[] = [];
    let from = 0;
    for (const c of at) {
      parts.push(line.subarray(from, c));
      from = c;
    }
    parts.push(line.subarray(from));
    const rec = new StraceLineParser().parseParts(parts);
    assert.ok(rec?.type === 'call' && rec.ret === 5000 && rec.blobs?.size === 1, `cut at ${at}`);
    if (rec?.type !== 'call') continue;
    assert.ok(Buffer.from(callData(rec.name, rec.args, rec.ret, rec.blobs)[0] as Uint8Array).equals(data), `data cut at ${at}`);
  }
  // Two strings in a long line: the long one kept as bytes, the short one (a path) left in the text.
  const two = new StraceLineParser().parseParts([
    Buffer.from(`5 sendto(3<UNIX:[1->2]>, "${hex.slice(0, 4000)}`, 'latin1'),
    Buffer.from(`", 1000, 0, {sa_family=AF_UNIX, sun_path="\\x2f\\x74"}, 5) = 1000`, 'latin1'),
  ]);
  assert.ok(two?.type === 'call' && two.blobs?.size === 1 && two.ret === 1000 && two.args.endsWith('sun_path="\\x2f\\x74"}, 5'));
  if (two?.type !== 'call') return;
  assert.ok(Buffer.from(callData(two.name, two.args, two.ret, two.blobs)[0] as Uint8Array).equals(data.subarray(0, 1000)));
});

test('assembler: a known process exits after it is gone from /proc (parsing lagged): its exit is recorded, its threads are not', () => {
  const out: EventBody[] = [];
  const sink: TapSink = { newConn: () => 1, chunk: () => undefined, event: (ev) => out.push(ev) };
  // /proc knows nothing any more: the process has exited and been reaped by the time its lines are parsed
  const asm = new TraceAssembler(sink, { tgidOf: () => undefined, pathKind: () => 'other', commOf: () => undefined });
  asm.knownProcess(500);
  asm.record({ type: 'signal', pid: 502, signal: 'SIGTERM', senderPid: 9 } as StraceRecord);
  for (const pid of [502, 501, 500]) asm.record({ type: 'exit', pid, code: 43, signal: null });
  asm.finish();
  assert.deepEqual(
    out.filter((e) => e.kind === 'exit').map((e) => [e.pid, e.code]),
    [[500, 43]],
  );
});

test('assembler: processes and threads told apart by the clone lines strace printed, so exits parsed after /proc forgot them are still right', () => {
  const out: EventBody[] = [];
  const sink: TapSink = { newConn: () => 1, chunk: () => undefined, event: (ev) => out.push(ev) };
  const asm = new TraceAssembler(sink, { tgidOf: () => undefined, pathKind: () => 'other', commOf: () => undefined });
  asm.knownProcess(500);
  const p = new StraceLineParser();
  for (const line of [
    '500  clone(child_stack=0xc000060000, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS, tls=0xc000054090) = 501',
    '501  clone(child_stack=NULL, flags=CLONE_VM|CLONE_VFORK|SIGCHLD <unfinished ...>',
    '501  <... clone resumed>) = 510',
    '510  clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f0, parent_tid=0x7f0, exit_signal=0, stack=0x7f0, stack_size=0x7fff00, tls=0x7f0} => {parent_tid=[511]}, 88) = 511',
    '500  fork()                             = 520',
    '511  +++ exited with 0 +++',
    '510  +++ exited with 3 +++',
    '520  +++ killed by SIGKILL +++',
    '501  +++ exited with 0 +++',
    '500  +++ exited with 0 +++',
  ]) {
    const rec = p.parse(line);
    if (rec) asm.record(rec);
  }
  asm.finish();
  assert.deepEqual(
    out.filter((e) => e.kind === 'exit').map((e) => [e.pid, e.code ?? e.signal]),
    [
      [510, 3],
      [520, 'SIGKILL'],
      [500, 0],
    ],
  );
});

test('assembler: a socket end shown without its peer (the peer has closed) stays in its connection', () => {
  // As strace -yy prints the reader's calls once the writer has closed its end.
  const out = assemble(
    parseAll([
      '30385 sendto(3<UNIX-STREAM:[228503->228504]>, "\\x68\\x69", 2, 0, NULL, 0) = 2',
      '30385 sendto(3<UNIX-STREAM:[228503->228504]>, "\\x21\\x0a", 2, 0, NULL, 0) = 2',
      '30392 recvfrom(4<UNIX-STREAM:[228504->228503]>, "\\x68\\x69", 10, 0, NULL, NULL) = 2',
      '30392 recvfrom(4<UNIX-STREAM:[228504]>, "\\x21\\x0a", 10, 0, NULL, NULL) = 2',
      '30392 recvfrom(4<UNIX-STREAM:[228504]>, "", 10, 0, NULL, NULL) = 0',
    ]),
  );
  assert.deepEqual(
    out.events.filter((e) => e.kind === 'open').map((e) => e.from),
    ['UNIX-STREAM:[228503->228504]'],
  );
  assert.deepEqual(out.chunks, [
    { conn: 1, dir: 'c2s', data: 'hi' },
    { conn: 1, dir: 'c2s', data: '!\n' },
  ]);
  assert.deepEqual(
    out.events.filter((e) => e.kind === 'half-close').map((e) => [e.conn, e.dir]),
    [[1, 'c2s']],
  );
});
