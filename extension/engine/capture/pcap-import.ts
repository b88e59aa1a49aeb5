// Reading pcap and pcapng files (tcpdump, tshark, Wireshark, `ipctap export`): TCP streams are
// reassembled into connections with the same chunks and events as a capture of ours, so every
// decoder, `read`, `--stats`, `--flow` and `diff` work on them. Link types: Ethernet (with VLAN
// tags), raw IP, Linux cooked (SLL, SLL2), BSD loopback, IPv4 and IPv6. Segments are put in
// sequence order; retransmitted bytes are dropped; a hole the capture never filled is skipped
// with a note. Packets that are not TCP are counted and left out.
import { open } from 'node:fs/promises';
import type { Chunk, EventRecord } from '../types';
import { UserError } from '../util/errors';

export type PcapItem = { chunk: Chunk } | { event: EventRecord };

/** 'pcap' / 'pcapng' when the first bytes say so. */
export function pcapKind(head: Uint8Array): 'pcap' | 'pcapng' | undefined {
  if (head.length < 4) return undefined;
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const le = b.readUInt32LE(0);
  if (le === 0x0a0d0d0a) return 'pcapng';
  if (le === 0xa1b2c3d4 || le === 0xa1b23c4d || b.readUInt32BE(0) === 0xa1b2c3d4 || b.readUInt32BE(0) === 0xa1b23c4d) return 'pcap';
  return undefined;
}

interface Packet {
  ts: number; // µs
  link: number;
  data: Buffer;
}

/** Link-layer payload → IP packet (or undefined when not IP). */
function ipOf(link: number, d: Buffer): Buffer | undefined {
  let off = 0;
  let proto = -1;
  switch (link) {
    case 1: {
      // Ethernet, with 802.1Q tags
      off = 12;
      proto = d.length >= 14 ? d.readUInt16BE(12) : -1;
      while ((proto === 0x8100 || proto === 0x88a8) && d.length >= off + 6) {
        off += 4;
        proto = d.readUInt16BE(off);
      }
      off += 2;
      break;
    }
    case 113:
      if (d.length < 16) return undefined;
      proto = d.readUInt16BE(14);
      off = 16;
      break;
    case 276:
      if (d.length < 20) return undefined;
      proto = d.readUInt16BE(0);
      off = 20;
      break;
    case 0:
    case 108:
      off = 4;
      proto = 0x0800;
      break;
    case 101:
    case 12:
    case 14:
    case 228:
    case 229:
      off = 0;
      proto = 0x0800;
      break;
    default:
      return undefined;
  }
  if (proto !== 0x0800 && proto !== 0x86dd) return undefined;
  return d.subarray(off);
}

interface Segment {
  src: string;
  dst: string;
  seq: number;
  flags: number;
  payload: Buffer;
}

function tcpOf(ip: Buffer): Segment | undefined {
  if (ip.length < 1) return undefined;
  const v = ip[0]! >> 4;
  let tcp: Buffer;
  let src: string;
  let dst: string;
  if (v === 4) {
    if (ip.length < 20 || ip[9] !== 6) return undefined;
    const ihl = (ip[0]! & 15) * 4;
    const total = Math.min(ip.length, ip.readUInt16BE(2) || ip.length);
    if ((ip.readUInt16BE(6) & 0x1fff) !== 0) return undefined; // (a later fragment)
    tcp = ip.subarray(ihl, total);
    src = `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
    dst = `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`;
  } else if (v === 6) {
    if (ip.length < 40 || ip[6] !== 6) return undefined; // (extension headers not followed)
    tcp = ip.subarray(40, 40 + ip.readUInt16BE(4));
    const hex = (o: number) => Array.from({ length: 8 }, (_, i) => ip.readUInt16BE(o + i * 2).toString(16)).join(':');
    src = `[${hex(8)}]`;
    dst = `[${hex(24)}]`;
  } else return undefined;
  if (tcp.length < 20) return undefined;
  const dataOff = (tcp[12]! >> 4) * 4;
  return {
    src: `${src}:${tcp.readUInt16BE(0)}`,
    dst: `${dst}:${tcp.readUInt16BE(2)}`,
    seq: tcp.readUInt32BE(4),
    flags: tcp[13]!,
    payload: tcp.subarray(Math.min(dataOff, tcp.length)),
  };
}

async function* packets(path: string): AsyncGenerator<Packet> {
  const fh = await open(path, 'r').catch((e: Error) => {
    throw new UserError(`cannot read ${path}: ${e.message}`);
  });
  try {
    const st = await fh.stat();
    // Whole-file reads in blocks, with the unread tail carried over.
    let buf = Buffer.alloc(0);
    let pos = 0;
    const need = async (n: number): Promise<boolean> => {
      while (buf.length < n) {
        if (pos >= st.size) return false;
        const chunk = Buffer.allocUnsafe(Math.min(4 << 20, st.size - pos));
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
        if (bytesRead === 0) return false;
        pos += bytesRead;
        buf = buf.length ? Buffer.concat([buf, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      }
      return true;
    };
    if (!(await need(4))) throw new UserError(`${path} is empty`);
    const kind = pcapKind(buf.subarray(0, 4));
    if (kind === 'pcap') {
      if (!(await need(24))) throw new UserError(`${path}: truncated pcap header`);
      const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
      const nano = (le ? buf.readUInt32LE(0) : buf.readUInt32BE(0)) === 0xa1b23c4d;
      const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
      const link = u32(buf, 20) & 0xffff;
      buf = buf.subarray(24);
      while (await need(16)) {
        const sec = u32(buf, 0);
        const frac = u32(buf, 4);
        const cap = u32(buf, 8);
        if (cap > 256 << 20) throw new UserError(`${path}: a packet claims ${cap} bytes; the file is damaged`);
        if (!(await need(16 + cap))) return;
        yield { ts: sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac), link, data: Buffer.from(buf.subarray(16, 16 + cap)) };
        buf = buf.subarray(16 + cap);
      }
      return;
    }
    if (kind !== 'pcapng') throw new UserError(`${path} is neither an IPC Tap capture nor a pcap/pcapng file`);
    let le = true;
    const ifaces: { link: number; unitsPerUs: number }[] = [];
    while (await need(12)) {
      let type = le ? buf.readUInt32LE(0) : buf.readUInt32BE(0);
      if (type === 0x0a0d0d0a) {
        if (!(await need(12))) return;
        le = buf.readUInt32LE(8) === 0x1a2b3c4d;
        type = 0x0a0d0d0a;
        ifaces.length = 0;
      }
      const len = le ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
      if (len < 12 || len % 4 !== 0 || len > 256 << 20) throw new UserError(`${path}: a block of ${len} bytes at byte ${pos - buf.length}; the file is damaged`);
      if (!(await need(len))) return;
      const body = buf.subarray(8, len - 4);
      const u16 = (o: number) => (le ? body.readUInt16LE(o) : body.readUInt16BE(o));
      const u32 = (o: number) => (le ? body.readUInt32LE(o) : body.readUInt32BE(o));
      if (type === 1) {
        let unitsPerUs = 1;
        for (let o = 8; o + 4 <= body.length;) {
          const code = u16(o);
          const olen = u16(o + 2);
          if (code === 0) break;
          if (code === 9 && olen >= 1) {
            const r = body[o + 4]!;
            const units = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
            unitsPerUs = units / 1e6;
          }
          o += 4 + ((olen + 3) & ~3);
        }
        ifaces.push({ link: u16(0), unitsPerUs });
      } else if (type === 6 && body.length >= 20) {
        const iface = ifaces[u32(0)];
        const cap = u32(12);
        if (iface && 20 + cap <= body.length) {
          const t = u32(4) * 2 ** 32 + u32(8);
          yield { ts: Math.floor(t / iface.unitsPerUs), link: iface.link, data: Buffer.from(body.subarray(20, 20 + cap)) };
        }
      } else if (type === 3 && ifaces[0] && body.length >= 4) {
        yield { ts: 0, link: ifaces[0].link, data: Buffer.from(body.subarray(4)) };
      }
      buf = buf.subarray(len);
    }
  } finally {
    await fh.close();
  }
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
/** Out-of-order bytes held per direction before a hole is given up on. */
const MAX_HELD = 16 << 20;

interface Dir {
  next: number | undefined;
  held: Map<number, Buffer>;
  heldBytes: number;
  fin: boolean;
}

interface Conn {
  id: number;
  client: string;
  server: string;
  dirs: { c2s: Dir; s2c: Dir };
  closed: boolean;
}

const newDir = (): Dir => ({ next: undefined, held: new Map(), heldBytes: 0, fin: false });
const before = (a: number, b: number) => ((a - b) | 0) < 0;

/** The TCP conversations in a pcap/pcapng file as chunks and events, in packet order. */
export async function* pcapItems(path: string): AsyncGenerator<PcapItem> {
  const conns = new Map<string, Conn>();
  let nextId = 1;
  let last = 0;
  let skipped = 0;
  let first = -1;
  const ev = (e: Omit<EventRecord, 'mono'>): PcapItem => ({ event: { ...e, mono: e.ts - first } as EventRecord });
  for await (const p of packets(path)) {
    if (first < 0) first = p.ts;
    last = p.ts;
    const ip = ipOf(p.link, p.data);
    const seg = ip ? tcpOf(ip) : undefined;
    if (!seg) {
      skipped++;
      continue;
    }
    const key = seg.src < seg.dst ? `${seg.src}|${seg.dst}` : `${seg.dst}|${seg.src}`;
    let c = conns.get(key);
    if (!c || (c.closed && seg.flags & SYN && !(seg.flags & 0x10))) {
      // The side sending a bare SYN is the client; without a SYN seen, the sender of the first
      // packet is.
      const synAck = (seg.flags & (SYN | 0x10)) === (SYN | 0x10);
      c = { id: nextId++, client: synAck ? seg.dst : seg.src, server: synAck ? seg.src : seg.dst, dirs: { c2s: newDir(), s2c: newDir() }, closed: false };
      conns.set(key, c);
      yield ev({ kind: 'open', conn: c.id, tap: `pcap:${c.server}`, from: c.client, to: c.server, ts: p.ts });
    }
    if (c.closed) continue;
    const dirName = seg.src === c.client ? 'c2s' : 's2c';
    const d = c.dirs[dirName];
    if (seg.flags & RST) {
      c.closed = true;
      yield ev({ kind: 'close', conn: c.id, reason: 'reset', message: `${seg.src} reset the connection`, ts: p.ts });
      continue;
    }
    const seq = seg.seq;
    if (seg.flags & SYN) {
      d.next = (seq + 1) >>> 0;
      continue;
    }
    if (d.next === undefined) d.next = seq;
    const deliver = function* (data: Buffer): Generator<PcapItem> {
      if (data.length) yield { chunk: { conn: c!.id, dir: dirName, ts: p.ts, mono: p.ts - first, data } };
    };
    if (seg.payload.length) {
      if (before(seq, d.next)) {
        const skip = (d.next - seq) >>> 0;
        const rest = skip >= seg.payload.length ? Buffer.alloc(0) : seg.payload.subarray(skip);
        if (rest.length) {
          yield* deliver(rest);
          d.next = (d.next + rest.length) >>> 0;
        }
      } else if (seq === d.next) {
        yield* deliver(seg.payload);
        d.next = (d.next + seg.payload.length) >>> 0;
      } else if (!d.held.has(seq)) {
        d.held.set(seq, seg.payload);
        d.heldBytes += seg.payload.length;
      }
      // Held segments that now fit.
      for (let again = true; again && d.held.size;) {
        again = false;
        for (const [s, b] of d.held) {
          if (before(s, d.next) || s === d.next) {
            d.held.delete(s);
            d.heldBytes -= b.length;
            const skip: number = ((d.next as number) - s) >>> 0;
            if (skip < b.length) {
              yield* deliver(b.subarray(skip));
              d.next = (d.next + b.length - skip) >>> 0;
            }
            again = true;
          }
        }
      }
      if (d.heldBytes > MAX_HELD) {
        // A hole the capture never filled: go on from the earliest held segment.
        const s = [...d.held.keys()].sort((a, b) => (a - b) | 0)[0]!;
        yield ev({ kind: 'note', conn: c.id, message: `${(s - d.next) >>> 0} bytes ${dirName} are not in the capture; decoding goes on after them`, ts: p.ts });
        d.next = s;
      }
    }
    if (seg.flags & FIN && !d.fin) {
      d.fin = true;
      yield ev({ kind: 'half-close', conn: c.id, dir: dirName, ts: p.ts });
      if (c.dirs.c2s.fin && c.dirs.s2c.fin) {
        c.closed = true;
        yield ev({ kind: 'close', conn: c.id, reason: 'eof', ts: p.ts });
      }
    }
  }
  for (const c of conns.values()) if (!c.closed) yield ev({ kind: 'close', conn: c.id, reason: 'stopped', message: 'the capture ended', ts: last });
  if (skipped) yield ev({ kind: 'note', message: `${skipped} packet${skipped === 1 ? ' was' : 's were'} not TCP and left out`, ts: last });
}
