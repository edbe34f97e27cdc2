import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { redact, REMOVALS } from '../../src/shop/tickets/redaction.ts';
import { cardNumber, ordinary, spaced } from '../support/card-numbers.ts';

// Redaction of ticket messages: card numbers in any spacing are caught, the shop's own numbers and everyday
// numbers are left alone.

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
