import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { luhnValid, redact, REMOVALS } from '../../src/shop/tickets/redaction.ts';

// Redaction of ticket messages: card numbers in any spacing are caught, the shop's own numbers and everyday
// numbers are left alone.

/** The check digit that makes `body` Luhn-valid. */
function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}

/** A Luhn-valid number of 13 to 19 digits. */
const cardNumber = fc
  .integer({ min: 12, max: 18 })
  .chain((length) => fc.array(fc.constantFrom(...'0123456789'), { minLength: length, maxLength: length }))
  .map((digits) => withCheckDigit(digits.join('')));

/** The number split into groups with spaces, dashes, several spaces or nothing between them. */
const spaced = (digits: string) =>
  fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom('', ' ', '-', '  ', ' - ', '\u00a0')), { minLength: 1, maxLength: 19 }).map((cuts) => {
    let out = '';
    let at = 0;
    for (const [size, separator] of cuts) {
      if (at >= digits.length) break;
      out += digits.slice(at, at + size);
      at += size;
      if (at < digits.length) out += separator;
    }
    return out + digits.slice(at);
  });

const prose = fc.constantFrom('', 'Hi, ', 'my card is ', 'Card: ', 'I paid with ', '(', '"', 'number ');
const after = fc.constantFrom('', '.', ' thanks', ', expiring 12/28', ' and the order was P100001', ')', '!');

test('every Luhn-valid number of 13–19 digits, in any spacing and any sentence, is removed', () => {
  fc.assert(
    fc.property(cardNumber.chain((n) => fc.tuple(fc.constant(n), spaced(n), prose, after)), ([digits, written, before, tail]) => {
      const message = `${before}${written}${tail}`;
      const { text, removed } = redact(message);
      assert.ok(removed.includes('card_number'), message);
      assert.ok(text.includes(REMOVALS.card_number.marker), message);
      assert.ok(!text.replace(/\D/g, '').includes(digits), `${message} → ${text}`);
    }),
    { numRuns: 2000 },
  );
});

/** The shop's own references and everyday numbers: order and ticket numbers, phones, quantities, dates, prices. */
const ordinary = fc.oneof(
  fc.integer({ min: 100001, max: 999999999 }).map((n) => `P${n}`),
  fc.integer({ min: 100001, max: 999999999 }).map((n) => `order #P${n}`),
  fc.integer({ min: 100001, max: 999999999 }).map((n) => `T-${n}`),
  fc.constantFrom('+1 555 0100', '(555) 010-0142', '+44 20 7946 0958', '555-0100'),
  fc.integer({ min: 1, max: 999 }).map((n) => `${n} items`),
  fc.integer({ min: 1, max: 99 }).map((n) => `qty ${n}`),
  fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`),
  fc.integer({ min: 1, max: 99999 }).map((c) => `$${(c / 100).toFixed(2)}`),
  fc.integer({ min: 1, max: 500 }).map((ml) => `${ml} ml`),
);

test('order numbers, ticket references, phone numbers, quantities, dates and prices are left as written', () => {
  fc.assert(
    fc.property(fc.array(ordinary, { minLength: 1, maxLength: 8 }), fc.constantFrom(', ', ' and ', '; ', '. '), (parts, joint) => {
      const message = `About ${parts.join(joint)}.`;
      assert.deepEqual(redact(message), { text: message, removed: [] });
    }),
    { numRuns: 2000 },
  );
});

test('security codes next to card words and US social security numbers are removed; the words stay', () => {
  assert.deepEqual(redact('The CVV is 123 and the order P100001'), { text: `The CVV is ${REMOVALS.security_code.marker} and the order P100001`, removed: ['security_code'] });
  assert.equal(redact('security code: 4321').text, `security code: ${REMOVALS.security_code.marker}`);
  assert.deepEqual(redact('My SSN is 123-45-6789.'), { text: `My SSN is ${REMOVALS.government_id.marker}.`, removed: ['government_id'] });
  assert.equal(redact('ssn 123 45 6789').text, `ssn ${REMOVALS.government_id.marker}`);
  // Not social security numbers: mixed separators, impossible areas, a date.
  for (const text of ['123-45 6789', '000-12-3456', '666-12-3456', '2026-11-25', 'I bought 3 items for $12.50']) assert.deepEqual(redact(text), { text, removed: [] });
});

test('a card number and its security code in one message: both removed, each kind named once', () => {
  const { text, removed } = redact('Card 4242 4242 4242 4242, cvc 123. Also 4000-0000-0000-0002.');
  assert.equal(text, `Card ${REMOVALS.card_number.marker}, cvc ${REMOVALS.security_code.marker}. Also ${REMOVALS.card_number.marker}.`);
  assert.deepEqual(removed.sort(), ['card_number', 'security_code']);
});
