// Seed inputs for fuzzing: well-formed traffic of every protocol IPC Tap decodes. Every decoder
// is fuzzed with mutations of all of them (a decoder must also survive other protocols' bytes).
import { Packr } from 'msgpackr';
import type { Segment } from '../helpers/decoder-suite';
import { bytesOf, fromHex } from '../helpers/decoder-suite';
import { encodeChange, encodeHeader, encodeSnapshot } from '../../extension/engine/shm/record';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const pack = (v: unknown) => Uint8Array.from(packr.pack(v));
const lsp = (o: unknown) => {
  const body = typeof o === 'string' ? o : JSON.stringify(o);
  return bytesOf(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`, body);
};
const be32 = (b: Uint8Array) => bytesOf([b.length >>> 24, (b.length >>> 16) & 255, (b.length >>> 8) & 255, b.length & 255], b);

export function corpus(): Segment[][] {
  const msg = { jsonrpc: '2.0', id: 1, method: 'textDocument/completion', params: { textDocument: { uri: 'file:///a.json' }, position: { line: 0, character: 3 } } };
  const values = [
    { a: 1, b: [true, null, 'é'] },
    new Map<unknown, unknown>([
      [1, 'x'],
      [2n ** 63n, 1.5],
    ]),
    Buffer.from([1, 2, 3]),
    'x'.repeat(40),
  ];
  return [
    // LSP / JSON-RPC / DAP
    [
      ['c2s', lsp(msg)],
      ['s2c', lsp({ jsonrpc: '2.0', id: 1, result: { items: [{ label: 'x' }] } })],
    ],
    [
      ['stdin', bytesOf(JSON.stringify(msg) + '\n', '{"jsonrpc":"2.0","method":"n"}\n')],
      ['stdout', bytesOf('{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no"}}\n')],
    ],
    [
      ['c2s', lsp({ seq: 1, type: 'request', command: 'launch' })],
      ['s2c', lsp({ seq: 2, type: 'response', request_seq: 1, success: true, command: 'launch' })],
    ],
    // Go net/rpc jsonrpc (JSON-RPC 1.0)
    [
      ['c2s', bytesOf('{"method":"Arith.Multiply","params":[{"A":7,"B":8}],"id":0}\n')],
      ['s2c', bytesOf('{"id":0,"result":56,"error":null}\n')],
    ],
    // text lines
    [['stdout', bytesOf('listening on /tmp/x.sock\r\nready\n')]],
    // MessagePack, plain and length-prefixed
    [
      ['c2s', bytesOf(...values.map(pack))],
      ['s2c', pack([1, -1, 2 ** 40, 'ok'])],
    ],
    [['c2s', bytesOf(...values.map((v) => be32(pack(v))))]],
    // protobuf, varint-delimited
    [['c2s', fromHex('03 089601  09 12 07 74657374696e67  05 1a 03 089601')]],
    // gob: Point{22,33} twice (PROTOCOLS.md)
    [['c2s', fromHex('1f ff 81 03 01 01 05 50 6f 69 6e 74 01 ff 82 00 01 02 01 01 58 01 04 00 01 01 59 01 04 00 00 00 07 ff 82 01 2c 01 42 00 07 ff 82 01 2c 01 42 00')]],
    // net/rpc over HTTP CONNECT
    [
      ['c2s', bytesOf('CONNECT /_goRPC_ HTTP/1.0\n\n')],
      ['s2c', bytesOf('HTTP/1.0 200 Connected to Go RPC\n\n')],
    ],
    // ZMTP 3.0 greeting (NULL mechanism) + READY command + a two-part message
    [
      [
        'c2s',
        bytesOf(
          [0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0],
          'NULL',
          new Array(16).fill(0),
          [0],
          new Array(31).fill(0),
          [0x04, 0x19, 0x05],
          'READY',
          [0x0b],
          'Socket-Type',
          [0, 0, 0, 3],
          'REQ',
          [0x01, 0x00, 0x00, 0x05],
          'hello',
        ),
      ],
    ],
    // HTTP/2 client preface, SETTINGS, HEADERS (RFC 7541 C.4.1 block), DATA with a gRPC message
    [
      [
        'c2s',
        bytesOf(
          'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
          [0, 0, 0, 4, 0, 0, 0, 0, 0],
          [0, 0, 17, 1, 4, 0, 0, 0, 1],
          fromHex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'),
          [0, 0, 8, 0, 1, 0, 0, 0, 1],
          [0, 0, 0, 0, 3],
          fromHex('089601'),
        ),
      ],
      ['s2c', bytesOf([0, 0, 0, 4, 0, 0, 0, 0, 0], [0, 0, 0, 4, 1, 0, 0, 0, 0])],
    ],
    // shared memory watch records: header (with a layout and a region decoder), snapshot, change
    [
      [
        's2c',
        bytesOf(
          encodeHeader({
            shm: 1,
            target: 'shm:0x00001234',
            source: 'x',
            size: 64,
            region: { offset: 16, length: 16 },
            interval: 50,
            layout: 'u32 n, char[4] s, u64be t',
            decode: 'len16le+msgpack',
          }),
          encodeSnapshot(0, 16, new Uint8Array(16)),
          encodeChange(1, 0, 1, [
            { offset: 16, old: new Uint8Array(2), new: Uint8Array.from([2, 0]) },
            { offset: 20, old: new Uint8Array(3), new: Uint8Array.from([0x81, 0xa1, 0x61]) },
          ]),
        ),
      ],
    ],
  ];
}
