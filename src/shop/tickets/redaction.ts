// Redaction before storage (seed 003 §2: no sensitive data is collected). Messages are free text, and people paste
// card numbers, security codes and id numbers into them; those are replaced by a marker before a message is sealed,
// so they never reach the database, and the customer is told what was removed and why.

export const REMOVALS = {
  card_number: { marker: '[card number removed]', why: 'We never need your card number: it was removed before your message was saved.' },
  security_code: { marker: '[security code removed]', why: 'We never need your card’s security code: it was removed before your message was saved.' },
  government_id: { marker: '[ID number removed]', why: 'We never need a social security or other government ID number: it was removed before your message was saved.' },
} as const;
export type Removal = keyof typeof REMOVALS;

export type Redacted = { text: string; removed: Removal[] };

/** The Luhn check that every payment card number passes. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

// Runs of digit groups joined by spaces or dashes. A run may not start inside a word or an identifier (P100001,
// T-100001), whose digits are never card numbers.
const DIGIT_RUN = /(?<![\p{L}\d]|\p{L}-)\d+(?:[ \u00a0-]{1,3}\d+)*/gu;
const GROUP = /\d+/g;

/** Replaces, within one run of digit groups, every span of whole groups that forms a card number. */
function redactRun(run: string): { text: string; found: boolean } {
  const groups = [...run.matchAll(GROUP)].map((m) => ({ start: m.index, end: m.index + m[0].length, digits: m[0] }));
  const spans: { start: number; end: number }[] = [];
  for (let i = 0; i < groups.length; ) {
    let taken = -1;
    // The longest span from here that is a card number: 13 to 19 digits, Luhn-valid.
    for (let j = groups.length - 1; j >= i && taken < 0; j--) {
      const digits = groups.slice(i, j + 1).map((g) => g.digits).join('');
      if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) taken = j;
    }
    if (taken < 0) {
      i++;
      continue;
    }
    spans.push({ start: groups[i]!.start, end: groups[taken]!.end });
    i = taken + 1;
  }
  let text = run;
  for (const span of spans.reverse()) text = text.slice(0, span.start) + REMOVALS.card_number.marker + text.slice(span.end);
  return { text, found: spans.length > 0 };
}

// A 3 or 4 digit code right after a word for it ("CVV 123", "security code: 1234", "cvc is 999").
const SECURITY_CODE = /\b(cvv2?|cvc2?|cid|csc|security code|card code|verification code)(\s*(?:number|no\.?|#)?\s*(?:is|:|=|-)?\s*)\d{3,4}\b/giu;
// US social security numbers, written with dashes or spaces (never area 000, 666 or 9xx, group 00, serial 0000).
const SSN = /(?<![\p{L}\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])/gu;

/** The message with card numbers, security codes and id numbers replaced by markers, and what was removed. */
export function redact(message: string): Redacted {
  const removed = new Set<Removal>();
  let text = message.replace(DIGIT_RUN, (run) => {
    const result = redactRun(run);
    if (result.found) removed.add('card_number');
    return result.text;
  });
  text = text.replace(SECURITY_CODE, (_match, word: string, between: string) => {
    removed.add('security_code');
    return `${word}${between}${REMOVALS.security_code.marker}`;
  });
  text = text.replace(SSN, () => {
    removed.add('government_id');
    return REMOVALS.government_id.marker;
  });
  return { text, removed: [...removed] };
}
