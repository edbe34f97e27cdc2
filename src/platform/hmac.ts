import { hash } from 'node:crypto';

// HMAC-SHA-256 (RFC 2104, FIPS 180-4) for one key and many short messages: the analytics key every counted view
// by its visitor with it. Node's createHmac sets up two OpenSSL digests per call, which on this project's two-core box cost
// 5 µs, more than twice the hashing itself. Here the key's two padded blocks are compressed once, and each message
// then costs its own blocks and one more: about 2 µs for an address and a browser's name. The digest is handed back
// as its eight words, not as a buffer of bytes made for each message, since the analytics keep only its first bits.
// It is checked against createHmac's for generated keys and messages (test/unit/hmac.test.ts).

const ROUND = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const BLOCK = 64;
const DIGEST = 32;

const schedule = new Int32Array(64);

/** SHA-256's compression of the 64-byte block at `offset` into `state`. */
function compress(state: Int32Array, block: Uint8Array, offset: number): void {
  const w = schedule;
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    w[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15]!;
    const b = w[i - 2]!;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!, e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  // Ch and Maj in their forms of fewer operations: g ^ (e & (f ^ g)) and (a & b) | (c & (a | b)).
  for (let i = 0; i < 64; i++) {
    const t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + (g ^ (e & (f ^ g))) + ROUND[i]! + w[i]!) | 0;
    const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) | (c & (a | b)))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/** Hashes `length` bytes of `data` (which has room for the padding after them) on from `state`, one block already in. */
function finish(state: Int32Array, data: Uint8Array, length: number): void {
  let end = length;
  data[end++] = 0x80;
  while (end % BLOCK !== 56) data[end++] = 0;
  // The length in bits, of the padded key block as well; messages here stay far below 2^29 bytes.
  const bits = (BLOCK + length) * 8;
  // Zeros one at a time: a call to fill four bytes cost more than the writes.
  data[end] = data[end + 1] = data[end + 2] = data[end + 3] = 0;
  data[end + 4] = bits >>> 24;
  data[end + 5] = (bits >>> 16) & 0xff;
  data[end + 6] = (bits >>> 8) & 0xff;
  data[end + 7] = bits & 0xff;
  for (let offset = 0; offset < end + 8; offset += BLOCK) compress(state, data, offset);
}

/** The state after one block: the key XORed with `pad`. */
function padded(key: Uint8Array, pad: number): Int32Array {
  const block = new Uint8Array(BLOCK).fill(pad);
  for (let i = 0; i < key.length; i++) block[i]! ^= key[i]!;
  const state = INITIAL.slice();
  compress(state, block, 0);
  return state;
}

/**
 * The digest as its eight 32-bit words, each of four bytes in big-endian order (`digest[0]` is bytes 0–3), in an
 * array that the next message overwrites.
 */
export type KeyedHash = (message: string) => Int32Array;

/** HMAC-SHA-256 under `key`, as a function of the message (UTF-8), its key's blocks compressed once. */
export function hmacSha256(key: Uint8Array): KeyedHash {
  const short = key.length > BLOCK ? hash('sha256', key, 'buffer') : key;
  const inner = padded(short, 0x36);
  const outer = padded(short, 0x5c);
  const state = new Int32Array(8);
  // Room for a message of a few kilobytes and its padding; a longer one gets a buffer of its own.
  let scratch = Buffer.alloc(4096);
  return (message) => {
    // UTF-8 takes at most three bytes for each UTF-16 unit.
    const room = message.length * 3 + BLOCK + 8;
    if (room > scratch.length) scratch = Buffer.alloc(room);
    state.set(inner);
    finish(state, scratch, scratch.write(message, 0, 'utf8'));
    for (let i = 0; i < 8; i++) scratch.writeInt32BE(state[i]!, i * 4);
    state.set(outer);
    finish(state, scratch, DIGEST);
    return state;
  };
}
