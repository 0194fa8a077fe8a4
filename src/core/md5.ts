/**
 * MD5 (RFC 1321) in pure TypeScript. Workers' WebCrypto has MD5 but Node's has not, and the core must
 * run unchanged in both, so the v2 MD5 signature uses this implementation.
 *
 * Speed notes (see bench/core.bench.ts): all arithmetic is Int32 (`| 0`), the 64 steps are unrolled
 * with the message words held in locals, and a single scratch buffer is reused for every call
 * (md5Hex is synchronous, so no call can observe another's scratch state). Each step is written so
 * the register produced by the previous step enters last (`x + T + a + f(b, c, d)`, and round 2's
 * selection as a sum of two disjoint terms): the CPU then overlaps most of a step with the one
 * before, which measured ~40% faster than the textbook order.
 *
 * Strings are UTF-8 encoded straight into the scratch buffer with TextEncoder.encodeInto, which
 * allocates no output and, measured in Node 20, is ~15x faster than a charCodeAt loop even for pure
 * ASCII; it also replaces lone surrogates with U+FFFD exactly like every other UTF-8 encoder.
 * Aligned byte input is hashed in place through an Int32Array view, without copying.
 */
import { BYTE_HEX } from './hex';

/** Bytes per pass of the scratch buffer; a multiple of the 64-byte block. */
const CHUNK = 16384;
const scratch = new Uint8Array(CHUNK);
const scratchWords = new Int32Array(scratch.buffer);
const state = new Int32Array(4);
const encoder = new TextEncoder();
/** MD5 reads little-endian words; an Int32Array view reads native order, so big-endian hosts swap. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Runs `blocks` 64-byte blocks from `w` (starting at word `off`) through the compression function. */
function compress(w: Int32Array, off: number, blocks: number): void {
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  for (const end = off + blocks * 16; off < end; off += 16) {
    const x0 = w[off]!,
      x1 = w[off + 1]!,
      x2 = w[off + 2]!,
      x3 = w[off + 3]!;
    const x4 = w[off + 4]!,
      x5 = w[off + 5]!,
      x6 = w[off + 6]!,
      x7 = w[off + 7]!;
    const x8 = w[off + 8]!,
      x9 = w[off + 9]!,
      x10 = w[off + 10]!,
      x11 = w[off + 11]!;
    const x12 = w[off + 12]!,
      x13 = w[off + 13]!,
      x14 = w[off + 14]!,
      x15 = w[off + 15]!;
    const a0 = a,
      b0 = b,
      c0 = c,
      d0 = d;
    a = (x0 - 680876936 + a + (d ^ (b & (c ^ d)))) | 0;
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    d = (x1 - 389564586 + d + (c ^ (a & (b ^ c)))) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (x2 + 606105819 + c + (b ^ (d & (a ^ b)))) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    b = (x3 - 1044525330 + b + (a ^ (c & (d ^ a)))) | 0;
    b = (((b << 22) | (b >>> 10)) + c) | 0;
    a = (x4 - 176418897 + a + (d ^ (b & (c ^ d)))) | 0;
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    d = (x5 + 1200080426 + d + (c ^ (a & (b ^ c)))) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (x6 - 1473231341 + c + (b ^ (d & (a ^ b)))) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    b = (x7 - 45705983 + b + (a ^ (c & (d ^ a)))) | 0;
    b = (((b << 22) | (b >>> 10)) + c) | 0;
    a = (x8 + 1770035416 + a + (d ^ (b & (c ^ d)))) | 0;
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    d = (x9 - 1958414417 + d + (c ^ (a & (b ^ c)))) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (x10 - 42063 + c + (b ^ (d & (a ^ b)))) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    b = (x11 - 1990404162 + b + (a ^ (c & (d ^ a)))) | 0;
    b = (((b << 22) | (b >>> 10)) + c) | 0;
    a = (x12 + 1804603682 + a + (d ^ (b & (c ^ d)))) | 0;
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    d = (x13 - 40341101 + d + (c ^ (a & (b ^ c)))) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (x14 - 1502002290 + c + (b ^ (d & (a ^ b)))) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    b = (x15 + 1236535329 + b + (a ^ (c & (d ^ a)))) | 0;
    b = (((b << 22) | (b >>> 10)) + c) | 0;
    a = (x1 - 165796510 + a + (c & ~d) + (b & d)) | 0;
    a = (((a << 5) | (a >>> 27)) + b) | 0;
    d = (x6 - 1069501632 + d + (b & ~c) + (a & c)) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (x11 + 643717713 + c + (a & ~b) + (d & b)) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    b = (x0 - 373897302 + b + (d & ~a) + (c & a)) | 0;
    b = (((b << 20) | (b >>> 12)) + c) | 0;
    a = (x5 - 701558691 + a + (c & ~d) + (b & d)) | 0;
    a = (((a << 5) | (a >>> 27)) + b) | 0;
    d = (x10 + 38016083 + d + (b & ~c) + (a & c)) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (x15 - 660478335 + c + (a & ~b) + (d & b)) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    b = (x4 - 405537848 + b + (d & ~a) + (c & a)) | 0;
    b = (((b << 20) | (b >>> 12)) + c) | 0;
    a = (x9 + 568446438 + a + (c & ~d) + (b & d)) | 0;
    a = (((a << 5) | (a >>> 27)) + b) | 0;
    d = (x14 - 1019803690 + d + (b & ~c) + (a & c)) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (x3 - 187363961 + c + (a & ~b) + (d & b)) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    b = (x8 + 1163531501 + b + (d & ~a) + (c & a)) | 0;
    b = (((b << 20) | (b >>> 12)) + c) | 0;
    a = (x13 - 1444681467 + a + (c & ~d) + (b & d)) | 0;
    a = (((a << 5) | (a >>> 27)) + b) | 0;
    d = (x2 - 51403784 + d + (b & ~c) + (a & c)) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (x7 + 1735328473 + c + (a & ~b) + (d & b)) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    b = (x12 - 1926607734 + b + (d & ~a) + (c & a)) | 0;
    b = (((b << 20) | (b >>> 12)) + c) | 0;
    a = (x5 - 378558 + a + (c ^ d ^ b)) | 0;
    a = (((a << 4) | (a >>> 28)) + b) | 0;
    d = (x8 - 2022574463 + d + (b ^ c ^ a)) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (x11 + 1839030562 + c + (a ^ b ^ d)) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    b = (x14 - 35309556 + b + (d ^ a ^ c)) | 0;
    b = (((b << 23) | (b >>> 9)) + c) | 0;
    a = (x1 - 1530992060 + a + (c ^ d ^ b)) | 0;
    a = (((a << 4) | (a >>> 28)) + b) | 0;
    d = (x4 + 1272893353 + d + (b ^ c ^ a)) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (x7 - 155497632 + c + (a ^ b ^ d)) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    b = (x10 - 1094730640 + b + (d ^ a ^ c)) | 0;
    b = (((b << 23) | (b >>> 9)) + c) | 0;
    a = (x13 + 681279174 + a + (c ^ d ^ b)) | 0;
    a = (((a << 4) | (a >>> 28)) + b) | 0;
    d = (x0 - 358537222 + d + (b ^ c ^ a)) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (x3 - 722521979 + c + (a ^ b ^ d)) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    b = (x6 + 76029189 + b + (d ^ a ^ c)) | 0;
    b = (((b << 23) | (b >>> 9)) + c) | 0;
    a = (x9 - 640364487 + a + (c ^ d ^ b)) | 0;
    a = (((a << 4) | (a >>> 28)) + b) | 0;
    d = (x12 - 421815835 + d + (b ^ c ^ a)) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (x15 + 530742520 + c + (a ^ b ^ d)) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    b = (x2 - 995338651 + b + (d ^ a ^ c)) | 0;
    b = (((b << 23) | (b >>> 9)) + c) | 0;
    a = (x0 - 198630844 + a + (c ^ (b | ~d))) | 0;
    a = (((a << 6) | (a >>> 26)) + b) | 0;
    d = (x7 + 1126891415 + d + (b ^ (a | ~c))) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (x14 - 1416354905 + c + (a ^ (d | ~b))) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    b = (x5 - 57434055 + b + (d ^ (c | ~a))) | 0;
    b = (((b << 21) | (b >>> 11)) + c) | 0;
    a = (x12 + 1700485571 + a + (c ^ (b | ~d))) | 0;
    a = (((a << 6) | (a >>> 26)) + b) | 0;
    d = (x3 - 1894986606 + d + (b ^ (a | ~c))) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (x10 - 1051523 + c + (a ^ (d | ~b))) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    b = (x1 - 2054922799 + b + (d ^ (c | ~a))) | 0;
    b = (((b << 21) | (b >>> 11)) + c) | 0;
    a = (x8 + 1873313359 + a + (c ^ (b | ~d))) | 0;
    a = (((a << 6) | (a >>> 26)) + b) | 0;
    d = (x15 - 30611744 + d + (b ^ (a | ~c))) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (x6 - 1560198380 + c + (a ^ (d | ~b))) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    b = (x13 + 1309151649 + b + (d ^ (c | ~a))) | 0;
    b = (((b << 21) | (b >>> 11)) + c) | 0;
    a = (x4 - 145523070 + a + (c ^ (b | ~d))) | 0;
    a = (((a << 6) | (a >>> 26)) + b) | 0;
    d = (x11 - 1120210379 + d + (b ^ (a | ~c))) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (x2 + 718787259 + c + (a ^ (d | ~b))) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    b = (x9 - 343485551 + b + (d ^ (c | ~a))) | 0;
    b = (((b << 21) | (b >>> 11)) + c) | 0;
    a = (a + a0) | 0;
    b = (b + b0) | 0;
    c = (c + c0) | 0;
    d = (d + d0) | 0;
  }
  state[0] = a;
  state[1] = b;
  state[2] = c;
  state[3] = d;
}

function byteSwap(w: number): number {
  return (w << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);
}

/** Compresses the first `blocks` blocks of the scratch buffer. */
function compressScratch(blocks: number): void {
  if (!LITTLE_ENDIAN) for (let i = 0; i < blocks * 16; i++) scratchWords[i] = byteSwap(scratchWords[i]!);
  compress(scratchWords, 0, blocks);
}

function reset(): void {
  state[0] = 0x67452301;
  state[1] = 0xefcdab89 | 0;
  state[2] = 0x98badcfe | 0;
  state[3] = 0x10325476;
}

/**
 * Pads and compresses the last `tail` (< 64) message bytes, already at the start of the scratch
 * buffer, for a message of `total` bytes.
 */
function finish(tail: number, total: number): void {
  scratch[tail++] = 0x80;
  if (tail > 56) {
    while (tail < 64) scratch[tail++] = 0;
    compressScratch(1);
    tail = 0;
  }
  while (tail < 56) scratch[tail++] = 0;
  // Message length in bits as a 64-bit little-endian integer (exact for any length below 2^53 bytes).
  const lo = (total % 0x20000000) * 8;
  const hi = Math.floor(total / 0x20000000);
  scratch[56] = lo;
  scratch[57] = lo >>> 8;
  scratch[58] = lo >>> 16;
  scratch[59] = lo >>> 24;
  scratch[60] = hi;
  scratch[61] = hi >>> 8;
  scratch[62] = hi >>> 16;
  scratch[63] = hi >>> 24;
  compressScratch(1);
}

/** Compresses every whole block in scratch[0, fill) and moves the rest to the front; returns its length. */
function flush(fill: number): number {
  const blocks = fill >>> 6;
  compressScratch(blocks);
  const done = blocks << 6;
  scratch.copyWithin(0, done, fill);
  return fill - done;
}

function hashString(s: string): void {
  const len = s.length;
  let pos = 0;
  let fill = 0;
  let total = 0;
  while (pos < len) {
    // A window of at most `room` UTF-16 units; encodeInto stops early (at a character boundary)
    // when their UTF-8 form does not fit. Never end the window inside a surrogate pair, or each
    // half would be encoded as U+FFFD.
    let end = Math.min(len, pos + CHUNK - fill);
    const last = s.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff && end < len) end++;
    const window = pos === 0 && end === len ? s : s.substring(pos, end);
    const r = encoder.encodeInto(window, fill === 0 ? scratch : scratch.subarray(fill));
    pos += r.read;
    fill += r.written;
    if (fill >= 64) {
      const rest = flush(fill);
      total += fill - rest;
      fill = rest;
    }
  }
  finish(fill, total + fill);
}

function hashBytes(bytes: Uint8Array): void {
  const len = bytes.length;
  const whole = len - (len % 64);
  let off = 0;
  if (LITTLE_ENDIAN && (bytes.byteOffset & 3) === 0 && whole > 0) {
    compress(new Int32Array(bytes.buffer, bytes.byteOffset, whole >>> 2), 0, whole >>> 6);
    off = whole;
  } else {
    while (off < whole) {
      const n = Math.min(CHUNK, whole - off);
      scratch.set(bytes.subarray(off, off + n));
      compressScratch(n >>> 6);
      off += n;
    }
  }
  const tail = len - off;
  for (let i = 0; i < tail; i++) scratch[i] = bytes[off + i]!;
  finish(tail, len);
}

function wordHex(w: number): string {
  return BYTE_HEX[w & 0xff]! + BYTE_HEX[(w >>> 8) & 0xff]! + BYTE_HEX[(w >>> 16) & 0xff]! + BYTE_HEX[w >>> 24]!;
}

/** Lowercase hex MD5 of `input`; a string is hashed as its UTF-8 bytes. */
export function md5Hex(input: string | Uint8Array): string {
  reset();
  if (typeof input === 'string') hashString(input);
  else hashBytes(input);
  return wordHex(state[0]!) + wordHex(state[1]!) + wordHex(state[2]!) + wordHex(state[3]!);
}
