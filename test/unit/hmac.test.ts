import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { hmacSha256 } from '../../src/platform/hmac.ts';

// The analytics' own HMAC-SHA-256 must be the standard one, bit for bit: checked against OpenSSL's (createHmac).

const reference = (key: Uint8Array, message: string) => createHmac('sha256', key).update(message, 'utf8').digest();
/** The digest's words as its 32 bytes. */
const bytesOf = (words: Int32Array) => {
  const bytes = Buffer.alloc(32);
  words.forEach((word, i) => bytes.writeInt32BE(word, i * 4));
  return bytes;
};

test('RFC 4231 test case 2: key "Jefe"', () => {
  assert.equal(bytesOf(hmacSha256(Buffer.from('Jefe'))('what do ya want for nothing?')).toString('hex'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
});

test('RFC 4231 test case 6: a key longer than a block is hashed first', () => {
  const key = Buffer.alloc(131, 0xaa);
  assert.equal(bytesOf(hmacSha256(key)('Test Using Larger Than Block-Size Key - Hash Key First')).toString('hex'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
});

test('equals createHmac for generated keys and messages of every length around the block edges, any Unicode', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 100 }), fc.array(fc.string({ unit: 'binary', maxLength: 300 }), { minLength: 1, maxLength: 4 }), (key, messages) => {
      const keyed = hmacSha256(key);
      // Several messages under one key: each starts afresh from the key's blocks.
      for (const message of messages) assert.deepEqual(bytesOf(keyed(message)), reference(key, message));
    }),
    { numRuns: 500 },
  );
  const keyed = hmacSha256(Buffer.alloc(32, 7));
  for (let length = 0; length <= 200; length++) {
    const message = 'é'.repeat(length % 3) + 'x'.repeat(length);
    assert.deepEqual(bytesOf(keyed(message)), reference(Buffer.alloc(32, 7), message), `length ${length}`);
  }
});

test('a message longer than the kept buffer, then a short one again', () => {
  const key = Buffer.from('a day’s salt');
  const keyed = hmacSha256(key);
  for (const message of ['Mozilla/5.0 '.repeat(2000), 'short', '💄'.repeat(5000), '']) assert.deepEqual(bytesOf(keyed(message)), reference(key, message));
});
