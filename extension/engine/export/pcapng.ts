// Capture → pcapng, for Wireshark and tshark. Every connection becomes a TCP conversation on
// 127.0.0.1 (raw IPv4, LINKTYPE_RAW): a synthetic handshake at its open, its chunks as segments
// with correct sequence and acknowledgement numbers, FIN for each half-close and at a clean
// close, RST for a reset. TCP taps keep their real ports; Unix sockets, FIFOs, pipes, stdio and
// shared memory get a stable port pair per tap and connection (the server port from the tap, the
// client port from the connection number), named in the packet comments with the pids. Records
// are streamed from the capture file to the output: memory holds one packet and per-connection
// counters.
import { createWriteStream, type WriteStream } from 'node:fs';
import { openCapture } from '../capture/reader';
import type { ChunkRecord, EventFileRecord } from '../capture/format';
import { UserError } from '../util/errors';

const LINKTYPE_RAW = 101;
const MAX_SEGMENT = 65535 - 40;
const IP_LOOPBACK = Buffer.from([127, 0, 0, 1]);

interface ConnState {
  cport: number;
  sport: number;
  cseq: number;
  sseq: number;
  comment: string;
  finC: boolean;
  finS: boolean;
  closed: boolean;
}

function hashPort(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return 10000 + (h % 20000);
}

function checksum(buf: Buffer, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i + 1 < end; i += 2) sum += buf.readUInt16BE(i);
  if ((end - start) & 1) sum += buf[end - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv4 + TCP packet from 127.0.0.1:src to 127.0.0.1:dst. */
function tcpPacket(src: number, dst: number, seq: number, ack: number, flags: number, payload: Uint8Array, ipId: number): Buffer {
  const p = Buffer.alloc(40 + payload.length);
  p[0] = 0x45;
  p.writeUInt16BE(p.length, 2);
  p.writeUInt16BE(ipId & 0xffff, 4);
  p.writeUInt16BE(0x4000, 6); // don't fragment
  p[8] = 64;
  p[9] = 6;
  IP_LOOPBACK.copy(p, 12);
  IP_LOOPBACK.copy(p, 16);
  p.writeUInt16BE(checksum(p, 0, 20), 10);
  p.writeUInt16BE(src, 20);
  p.writeUInt16BE(dst, 22);
  p.writeUInt32BE(seq >>> 0, 24);
  p.writeUInt32BE(ack >>> 0, 28);
  p[32] = 5 << 4;
  p[33] = flags;
  p.writeUInt16BE(65535, 34);
  p.set(payload, 40);
  // Pseudo-header: source, destination, protocol, TCP length.
  const tcpLen = 20 + payload.length;
  let pseudo = 0x7f00 + 0x0001 + 0x7f00 + 0x0001 + 6 + tcpLen;
  while (pseudo > 0xffff) pseudo = (pseudo & 0xffff) + (pseudo >>> 16);
  p.writeUInt16BE(checksum(p, 20, p.length, pseudo), 36);
  return p;
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** An option (code, UTF-8 value) padded to 32 bits. */
function option(code: number, value: string): Buffer {
  const v = Buffer.from(value, 'utf8');
  const b = Buffer.alloc(4 + pad4(v.length));
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(v.length, 2);
  v.copy(b, 4);
  return b;
}

function block(type: number, body: Buffer): Buffer {
  const len = 12 + body.length;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

export interface ExportResult {
  connections: number;
  packets: number;
  /** conn → "127.0.0.1:c ↔ 127.0.0.1:s" and what it stands for, for the user. */
  ports: { conn: number; tap: string; clientPort: number; serverPort: number }[];
}

/** Write `capturePath` as pcapng to `outPath`. */
export async function exportPcapng(capturePath: string, outPath: string): Promise<ExportResult> {
  const reader = await openCapture(capturePath);
  let out: WriteStream;
  try {
    out = createWriteStream(outPath, { mode: 0o600 });
    await new Promise<void>((res, rej) => {
      out.once('open', () => res());
      out.once('error', (e) => rej(new UserError(`cannot write ${outPath}: ${e.message}`)));
    });
  } catch (e) {
    await reader.close?.();
    throw e;
  }
  const write = async (b: Buffer): Promise<void> => {
    if (!out.write(b)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  const shb = Buffer.concat([Buffer.from([0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), option(4, 'IPC Tap'), option(0, '')]);
  await write(block(0x0a0d0d0a, shb));
  const idbHead = Buffer.alloc(8);
  idbHead.writeUInt16LE(LINKTYPE_RAW, 0);
  idbHead.writeUInt32LE(0, 4); // no snap length limit
  const tsresol = Buffer.from([9, 0, 1, 0, 6, 0, 0, 0]); // if_tsresol: µs
  await write(block(1, Buffer.concat([idbHead, option(2, 'ipctap'), option(3, `IPC Tap capture ${capturePath}: every connection as TCP on 127.0.0.1`), tsresol, Buffer.alloc(4)])));
  const conns = new Map<number, ConnState>();
  const ports: ExportResult['ports'] = [];
  let packets = 0;
  let ipId = 1;
  const packet = async (ts: number, data: Buffer, comment: string): Promise<void> => {
    const head = Buffer.alloc(20);
    const t = BigInt(Math.round(ts));
    head.writeUInt32LE(Number(t >> 32n), 4);
    head.writeUInt32LE(Number(t & 0xffffffffn), 8);
    head.writeUInt32LE(data.length, 12);
    head.writeUInt32LE(data.length, 16);
    const padded = Buffer.alloc(pad4(data.length));
    data.copy(padded);
    await write(block(6, Buffer.concat([head, padded, option(1, comment), Buffer.alloc(4)])));
    packets++;
  };
  const state = (conn: number, tap: string, from?: string, to?: string, peers?: EventFileRecord['peers']): ConnState => {
    let c = conns.get(conn);
    if (c) return c;
    const portOf = (addr: string | undefined): number | undefined => {
      const m = tap.startsWith('tcp:') ? addr?.match(/:(\d+)$/) : null;
      return m ? Number(m[1]) : undefined;
    };
    let sport = portOf(to) ?? hashPort(tap);
    let cport = portOf(from) ?? 40000 + (conn % 25000);
    if (cport === sport) cport = cport === 65535 ? 1024 : cport + 1;
    if (sport === 0) sport = 1;
    const who = [peers?.client?.length ? `client pid ${peers.client.join(',')}` : '', peers?.server?.length ? `server pid ${peers.server.join(',')}` : '']
      .filter(Boolean)
      .join(', ');
    c = {
      cport,
      sport,
      cseq: (conn * 1_000_003) >>> 0,
      sseq: (conn * 2_000_029 + 7) >>> 0,
      comment: `ipctap conn ${conn} on ${tap}${from ? ` from ${from}` : ''}${to ? ` to ${to}` : ''}${who ? ` (${who})` : ''}`,
      finC: false,
      finS: false,
      closed: false,
    };
    conns.set(conn, c);
    ports.push({ conn, tap, clientPort: cport, serverPort: sport });
    return c;
  };
  const handshake = async (c: ConnState, ts: number): Promise<void> => {
    await packet(ts, tcpPacket(c.cport, c.sport, c.cseq, 0, SYN, Buffer.alloc(0), ipId++), `${c.comment}: opened`);
    await packet(ts, tcpPacket(c.sport, c.cport, c.sseq, c.cseq + 1, SYN | ACK, Buffer.alloc(0), ipId++), c.comment);
    c.cseq = (c.cseq + 1) >>> 0;
    c.sseq = (c.sseq + 1) >>> 0;
    await packet(ts, tcpPacket(c.cport, c.sport, c.cseq, c.sseq, ACK, Buffer.alloc(0), ipId++), c.comment);
  };
  const fin = async (c: ConnState, client: boolean, ts: number): Promise<void> => {
    if (client ? c.finC : c.finS) return;
    if (client) {
      await packet(ts, tcpPacket(c.cport, c.sport, c.cseq, c.sseq, FIN | ACK, Buffer.alloc(0), ipId++), `${c.comment}: client finished sending`);
      c.cseq = (c.cseq + 1) >>> 0;
      c.finC = true;
    } else {
      await packet(ts, tcpPacket(c.sport, c.cport, c.sseq, c.cseq, FIN | ACK, Buffer.alloc(0), ipId++), `${c.comment}: server finished sending`);
      c.sseq = (c.sseq + 1) >>> 0;
      c.finS = true;
    }
  };
  try {
    for await (const { record } of reader.records()) {
      if (record.t === 'e') {
        const ev = record as EventFileRecord;
        if (ev.conn === undefined) continue;
        if (ev.kind === 'open') {
          const known = conns.has(ev.conn);
          const c = state(ev.conn, ev.tap ?? '?', ev.from, ev.to, ev.peers);
          if (!known) await handshake(c, ev.ts);
        } else if (ev.kind === 'half-close') {
          const c = conns.get(ev.conn);
          if (c && !c.closed) await fin(c, ev.dir === 'c2s' || ev.dir === 'stdin', ev.ts);
        } else if (ev.kind === 'close') {
          const c = conns.get(ev.conn);
          if (!c || c.closed) continue;
          c.closed = true;
          if (ev.reason === 'reset' || ev.reason === 'error') {
            await packet(
              ev.ts,
              tcpPacket(c.sport, c.cport, c.sseq, c.cseq, RST | ACK, Buffer.alloc(0), ipId++),
              `${c.comment}: ${ev.reason}${ev.message ? `: ${ev.message}` : ''}`,
            );
          } else {
            await fin(c, true, ev.ts);
            await fin(c, false, ev.ts);
            await packet(ev.ts, tcpPacket(c.cport, c.sport, c.cseq, c.sseq, ACK, Buffer.alloc(0), ipId++), `${c.comment}: closed`);
          }
        }
        continue;
      }
      if (record.t !== 'c') continue;
      const ch = record as ChunkRecord;
      let c = conns.get(ch.conn);
      if (!c) {
        c = state(ch.conn, '?');
        await handshake(c, ch.ts);
      }
      const client = ch.dir === 'c2s' || ch.dir === 'stdin';
      const note = ch.dir === 'stdin' || ch.dir === 'stdout' || ch.dir === 'stderr' ? `${c.comment} ${ch.dir}` : c.comment;
      for (let off = 0; off < ch.data.length; off += MAX_SEGMENT) {
        const seg = ch.data.subarray(off, Math.min(ch.data.length, off + MAX_SEGMENT));
        if (client) {
          await packet(ch.ts, tcpPacket(c.cport, c.sport, c.cseq, c.sseq, PSH | ACK, seg, ipId++), note);
          c.cseq = (c.cseq + seg.length) >>> 0;
        } else {
          await packet(ch.ts, tcpPacket(c.sport, c.cport, c.sseq, c.cseq, PSH | ACK, seg, ipId++), note);
          c.sseq = (c.sseq + seg.length) >>> 0;
        }
      }
    }
  } finally {
    await reader.close?.();
    await new Promise<void>((r) => out.end(() => r()));
  }
  return { connections: conns.size, packets, ports };
}
