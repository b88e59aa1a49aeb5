// HPACK Huffman decoding (RFC 7541 section 5.2) over the Appendix B code, plus an encoder
// (used by tests and by anything that builds header blocks, e.g. replay).
import { HUFFMAN_CODES, HUFFMAN_EOS, HUFFMAN_LENGTHS } from './huffman-table';

// Binary decoding tree: node n's children are TREE[2n] (bit 0) and TREE[2n+1] (bit 1).
// A child value > 0 is an inner node, < 0 is a leaf -(symbol + 1), 0 is "no such code".
const TREE = buildTree();

function buildTree(): Int32Array {
  const tree = new Int32Array(2 * 512);
  let next = 1;
  for (let sym = 0; sym <= HUFFMAN_EOS; sym++) {
    const code = HUFFMAN_CODES[sym];
    const len = HUFFMAN_LENGTHS[sym];
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const slot = 2 * node + ((code >>> i) & 1);
      if (i === 0) {
        if (tree[slot] !== 0) throw new Error(`HPACK Huffman table: code of symbol ${sym} collides`);
        tree[slot] = -(sym + 1);
      } else {
        if (tree[slot] < 0) throw new Error(`HPACK Huffman table: code of symbol ${sym} has a prefix`);
        if (tree[slot] === 0) tree[slot] = next++;
        node = tree[slot];
      }
    }
  }
  return tree;
}

export type HuffmanResult = { bytes: Uint8Array; error?: undefined } | { bytes?: undefined; error: string };

/** Decode a Huffman-coded string literal. Never throws; errors are returned. */
export function huffmanDecode(input: Uint8Array): HuffmanResult {
  // Each input byte gives at most 8/5 output symbols (shortest code is 5 bits).
  const out = new Uint8Array(Math.ceil((input.length * 8) / 5));
  let n = 0;
  let node = 0;
  let depth = 0; // bits consumed since the last complete symbol
  let allOnes = true; // ...and whether they were all 1s (a valid padding is a prefix of EOS)
  for (let i = 0; i < input.length; i++) {
    const byte = input[i];
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >>> b) & 1;
      const child = TREE[2 * node + bit];
      if (child < 0) {
        const sym = -child - 1;
        if (sym === HUFFMAN_EOS) return { error: 'Huffman string contains the EOS symbol' };
        out[n++] = sym;
        node = 0;
        depth = 0;
        allOnes = true;
      } else if (child === 0) {
        return { error: 'invalid Huffman code' };
      } else {
        node = child;
        depth++;
        if (bit === 0) allOnes = false;
      }
    }
  }
  if (depth > 7) return { error: 'Huffman padding longer than 7 bits' };
  if (!allOnes) return { error: 'Huffman padding is not all ones' };
  return { bytes: out.subarray(0, n) };
}

/** Huffman-encode bytes (padding with the EOS prefix). */
export function huffmanEncode(input: Uint8Array): Uint8Array {
  let bits = 0;
  for (const b of input) bits += HUFFMAN_LENGTHS[b];
  const out = new Uint8Array(Math.ceil(bits / 8));
  let acc = 0; // pending bits, at most 7 + 30 < 53: kept in a double
  let accBits = 0;
  let o = 0;
  for (const b of input) {
    acc = acc * 2 ** HUFFMAN_LENGTHS[b] + HUFFMAN_CODES[b];
    accBits += HUFFMAN_LENGTHS[b];
    while (accBits >= 8) {
      accBits -= 8;
      const byte = Math.floor(acc / 2 ** accBits);
      out[o++] = byte;
      acc -= byte * 2 ** accBits;
    }
  }
  if (accBits > 0) out[o++] = (acc * 2 ** (8 - accBits)) | (0xff >>> accBits);
  return out;
}

/** Length in bytes of the Huffman encoding of `input`. */
export function huffmanEncodedLength(input: Uint8Array): number {
  let bits = 0;
  for (const b of input) bits += HUFFMAN_LENGTHS[b];
  return Math.ceil(bits / 8);
}
