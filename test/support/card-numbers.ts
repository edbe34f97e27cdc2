import fc from 'fast-check';
import { luhnValid } from '../../src/shop/tickets/redaction.ts';

// Numbers for fuzzing redaction: card numbers in any spacing, which must always be caught, and the everyday numbers
// of a shop's messages, which must never be.

/** The check digit that makes `body` Luhn-valid. */
function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}

/** A Luhn-valid number of 13 to 19 digits. */
export const cardNumber = fc
  .integer({ min: 12, max: 18 })
  .chain((length) => fc.array(fc.constantFrom(...'0123456789'), { minLength: length, maxLength: length }))
  .map((digits) => withCheckDigit(digits.join('')));

/** The number split into groups with spaces, dashes, several spaces or nothing between them. */
export const spaced = (digits: string) =>
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

/** The shop's own references and everyday numbers: order and ticket numbers, phones, quantities, dates, prices. */
export const ordinary = fc.oneof(
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
