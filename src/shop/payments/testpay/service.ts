import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq, or } from 'drizzle-orm';
import { z } from 'zod';
import type { Clock } from '../../../platform/clock.ts';
import { inTransaction, type Executor } from '../../../platform/db/index.ts';
import type { CardSummary, ChargeRequest, ChargeResult, DeclineCode, PaymentProvider, RefundResult } from '../provider.ts';
import { testpayCharges, testpayRefunds } from '../schema.ts';

// TestPay: a payment provider that behaves like a real tokenizing one, run in-process for development and tests.
// Its card form posts to /testpay/tokens, never to Pledge; the number is checked (Luhn, expiry, CVC) and dropped at
// once, and the answer is a signed token carrying only brand, last four and how a charge will go. Test cards:
// 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined; 4000 0000 0000 9995 has insufficient funds.

export const TESTPAY_DECLINED_CARD = '4000000000000002';
export const TESTPAY_NO_FUNDS_CARD = '4000000000009995';
export const TOKEN_VALID_MS = 30 * 60 * 1000;

type Outcome = 'succeeded' | 'card_declined' | 'insufficient_funds';
type TokenClaims = { brand: string; last4: string; outcome: Outcome; expiresAt: number; nonce: string };

const digitsOnly = (value: string) => value.replace(/[\s-]/g, '');

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

function brandOf(digits: string): string {
  if (/^4/.test(digits)) return 'Visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(digits)) return 'Mastercard';
  if (/^3[47]/.test(digits)) return 'American Express';
  if (/^(6011|65)/.test(digits)) return 'Discover';
  return 'Card';
}

/** The card form, as the provider checks it. Messages are the provider's and never quote the number. */
export function cardSchema(now: Date) {
  return z
    .object({
      number: z
        .string()
        .transform(digitsOnly)
        .pipe(z.string().regex(/^\d{12,19}$/, 'Enter the card number, 12 to 19 digits').refine(luhnValid, 'This card number is not valid: check it for typos')),
      expMonth: z.coerce.number({ error: 'Enter the expiry month' }).int('Enter the expiry month').min(1, 'Enter a month from 1 to 12').max(12, 'Enter a month from 1 to 12'),
      expYear: z.coerce
        .number({ error: 'Enter the expiry year' })
        .int('Enter the expiry year')
        .transform((y) => (y < 100 ? 2000 + y : y))
        .pipe(z.number().min(2000, 'Enter the expiry year').max(2100, 'Enter the expiry year')),
      cvc: z.string().trim().regex(/^\d{3,4}$/, 'Enter the 3 or 4 digit security code'),
    })
    .refine((c) => c.expYear * 12 + c.expMonth >= now.getUTCFullYear() * 12 + now.getUTCMonth() + 1, { path: ['expMonth'], message: 'This card has expired' })
    .refine((c) => (brandOf(c.number) === 'American Express' ? c.cvc.length === 4 : c.cvc.length === 3), { path: ['cvc'], message: 'Enter the security code printed on the card' });
}
export type CardInput = z.input<ReturnType<typeof cardSchema>>;

export type TestPay = PaymentProvider & {
  /** Checks a card and answers a token, as the provider's own endpoint does; the number goes no further. */
  tokenize(card: z.output<ReturnType<typeof cardSchema>>): { token: string; card: CardSummary };
};

const b64 = (value: Buffer | string) => Buffer.from(value).toString('base64url');

export function testPay(ctx: { db: Executor; clock: Clock; secret: Buffer }): TestPay {
  const sign = (body: string) => createHmac('sha256', ctx.secret).update(body).digest();

  function claimsOf(token: string): TokenClaims | undefined {
    const match = /^tok_([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return undefined;
    const [, body, signature] = match;
    const expected = sign(body!);
    const given = Buffer.from(signature!, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as TokenClaims;
  }

  function declined(code: DeclineCode, card: CardSummary | undefined): ChargeResult {
    const messages: Record<DeclineCode, string> = {
      card_declined: 'The card was declined. Try another card.',
      insufficient_funds: 'The card was declined for insufficient funds. Try another card.',
      expired_token: 'The card details have expired. Enter the card again.',
      invalid_token: 'The card details were not recognised. Enter the card again.',
      token_used: 'These card details were already used for another payment. Enter the card again.',
    };
    return { ok: false, code, message: messages[code], card };
  }

  const resultOf = (row: typeof testpayCharges.$inferSelect, card: CardSummary, claims: TokenClaims): ChargeResult =>
    row.outcome === 'succeeded' ? { ok: true, chargeId: row.id, card } : declined(claims.outcome === 'succeeded' ? 'card_declined' : claims.outcome, card);

  return {
    name: 'testpay',

    tokenize(card) {
      const outcome: Outcome = card.number === TESTPAY_DECLINED_CARD ? 'card_declined' : card.number === TESTPAY_NO_FUNDS_CARD ? 'insufficient_funds' : 'succeeded';
      const claims: TokenClaims = {
        brand: brandOf(card.number),
        last4: card.number.slice(-4),
        outcome,
        expiresAt: ctx.clock.now().getTime() + TOKEN_VALID_MS,
        nonce: b64(randomBytes(9)),
      };
      const body = b64(JSON.stringify(claims));
      return { token: `tok_${body}.${b64(sign(body))}`, card: { brand: claims.brand, last4: claims.last4 } };
    },

    describeToken(token) {
      const claims = claimsOf(token);
      return claims && { brand: claims.brand, last4: claims.last4 };
    },

    async charge(request: ChargeRequest): Promise<ChargeResult> {
      const claims = claimsOf(request.token);
      if (!claims) return declined('invalid_token', undefined);
      const card = { brand: claims.brand, last4: claims.last4 };
      const tokenHash = createHash('sha256').update(request.token).digest();
      return inTransaction(ctx.db, async (tx) => {
        // The charge this key made before, and any charge of this token, in one look-up.
        const earlier = await tx
          .select()
          .from(testpayCharges)
          .where(or(eq(testpayCharges.idempotencyKey, request.idempotencyKey), eq(testpayCharges.tokenHash, tokenHash)))
          .for('update');
        const previous = earlier.find((c) => c.idempotencyKey === request.idempotencyKey);
        if (previous) {
          // The key names one charge: a replay with another token or amount is the caller's bug, not a new charge.
          if (!previous.tokenHash.equals(tokenHash) || previous.amountCents !== request.amountCents) throw new Error('TestPay: idempotency key reused for a different charge');
          return resultOf(previous, card, claims);
        }
        if (claims.expiresAt < ctx.clock.now().getTime()) return declined('expired_token', card);
        if (earlier.length > 0) return declined('token_used', card);
        const [row] = await tx
          .insert(testpayCharges)
          .values({
            id: `ch_${b64(randomBytes(12))}`,
            idempotencyKey: request.idempotencyKey,
            tokenHash,
            reference: request.reference,
            amountCents: request.amountCents,
            currency: request.currency,
            outcome: claims.outcome === 'succeeded' ? 'succeeded' : 'declined',
            createdAt: ctx.clock.now(),
          })
          .onConflictDoNothing()
          .returning();
        // A concurrent call with the same key inserted first: answer what it did.
        const charged = row ?? (await tx.select().from(testpayCharges).where(eq(testpayCharges.idempotencyKey, request.idempotencyKey)))[0]!;
        return resultOf(charged, card, claims);
      });
    },

    async refund({ chargeId, amountCents, idempotencyKey }): Promise<RefundResult> {
      return inTransaction(ctx.db, async (tx) => {
        // The charge lock first: two calls with one key then run one after the other, and the second finds the first.
        const [charge] = await tx.select().from(testpayCharges).where(eq(testpayCharges.id, chargeId)).for('update');
        const [previous] = await tx.select().from(testpayRefunds).where(eq(testpayRefunds.idempotencyKey, idempotencyKey));
        if (previous) return { ok: true, refundId: previous.id };
        if (!charge || charge.outcome !== 'succeeded') return { ok: false, message: 'There is no such payment to refund.' };
        if (amountCents <= 0 || charge.refundedCents + amountCents > charge.amountCents) {
          return { ok: false, message: `At most ${charge.amountCents - charge.refundedCents} cents of this payment can still be refunded.` };
        }
        const id = `re_${b64(randomBytes(12))}`;
        await tx.insert(testpayRefunds).values({ id, chargeId, idempotencyKey, amountCents, createdAt: ctx.clock.now() });
        await tx.update(testpayCharges).set({ refundedCents: charge.refundedCents + amountCents }).where(eq(testpayCharges.id, chargeId));
        return { ok: true, refundId: id };
      });
    },
  };
}
