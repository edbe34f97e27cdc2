// What checkout needs from a payment provider. TestPay implements it in-process; a Stripe module would implement
// the same functions over HTTP, and checkout would not change. Cards are tokenized by the provider itself (its card
// form posts to the provider), so nothing here ever carries a card number.

export type CardSummary = { brand: string; last4: string };

export type ChargeRequest = {
  amountCents: number;
  currency: string;
  token: string;
  /** The same key always yields the same charge: a repeated submit cannot charge twice. */
  idempotencyKey: string;
  /** The merchant's reference for the charge (Pledge's order id). */
  reference: string;
};

export type DeclineCode = 'card_declined' | 'insufficient_funds' | 'expired_token' | 'invalid_token' | 'token_used';

export type ChargeResult =
  | { ok: true; chargeId: string; card: CardSummary }
  | { ok: false; code: DeclineCode; message: string; card: CardSummary | undefined };

export type RefundResult = { ok: true; refundId: string } | { ok: false; message: string };

export type PaymentProvider = {
  name: string;
  /** Brand and last four of a token the provider issued; undefined when the token is not one of its own. */
  describeToken(token: string): CardSummary | undefined;
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: { chargeId: string; amountCents: number; idempotencyKey: string }): Promise<RefundResult>;
};
