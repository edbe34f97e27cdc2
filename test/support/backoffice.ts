import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import type { LightMyRequestResponse } from 'fastify';
import type { Clock } from '../../src/platform/clock.ts';
import type { Runtime } from '../../src/platform/runtime.ts';
import type { Role } from '../../src/privacy/access.ts';
import { completeSetup, createStaff, findSetup, signIn } from '../../src/privacy/staff/service.ts';
import { addItem } from '../../src/shop/cart/service.ts';
import { payOrder, placeOrder, type CheckoutDetails } from '../../src/shop/checkout/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { cardSchema } from '../../src/shop/payments/testpay/service.ts';
import { csrfFor, type TestShop } from './shop.ts';

// Back-office tests: members of staff signed in through the real services (password and TOTP), requests made as
// them, and paid orders to work on.

export type StaffClient = {
  staffId: string;
  cookie: string;
  get(url: string): Promise<LightMyRequestResponse>;
  /** A form post with a valid CSRF token (from the sign-in page, which anyone may load). */
  post(url: string, fields?: Record<string, string>): Promise<LightMyRequestResponse>;
};

let client = 0;
/** Each request from its own loopback address, so the per-client limit on form posts never bites. */
export const nextAddress = () => `127.1.${Math.floor(++client / 250) % 250}.${(client % 250) + 1}`;

/** Posts as someone signed out (or as `cookie`), with a valid CSRF token. */
export async function postAs(shop: TestShop, url: string, fields: Record<string, string> = {}, cookie?: string) {
  const csrf = await csrfFor(shop.app, '/admin/login');
  return shop.app.inject({
    method: 'POST',
    url,
    remoteAddress: nextAddress(),
    headers: { cookie: [csrf.cookie, cookie].filter(Boolean).join('; ') },
    payload: { ...fields, _csrf: csrf.token },
  });
}

/** A member of staff with `roles`, set up and signed in through the real services (password and TOTP), and what signs them in again. */
export async function staffSession(runtime: Runtime, roles: Role[]): Promise<{ staffId: string; token: string; email: string; password: string; code: () => string }> {
  const vault = shopContext(runtime);
  const email = `${roles.join('-')}-${randomUUID().slice(0, 8)}@staff.example.com`;
  const password = 'a long enough staff password';
  const { staffId, setupToken } = await createStaff(vault, { email, roles });
  const { secret } = (await findSetup(vault, setupToken))!;
  const code = () => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: runtime.clock.now().getTime() });
  assert.ok(await completeSetup(vault, setupToken, { password, code: code() }));
  const session = await signIn(vault, { email, password, code: code() });
  assert.ok(session.ok);
  return { staffId, token: session.token, email, password, code };
}

export async function signedInStaff(shop: TestShop, roles: Role[]): Promise<StaffClient> {
  const { staffId, token } = await staffSession(shop.runtime, roles);
  const cookie = `pledge_staff=${token}`;
  return {
    staffId,
    cookie,
    get: (url) => shop.app.inject({ url, headers: { cookie } }),
    post: (url, fields = {}) => postAs(shop, url, fields, cookie),
  };
}

/** A guest's checkout details; `phone` null for a customer who gave none. */
export const customerDetails = (email: string, phone: string | null = '+1 555 0142'): CheckoutDetails => ({
  email,
  address: { recipientName: 'Grace Hopper', line1: '12 Harbor Way', line2: undefined, city: 'Arlington', region: 'VA', postcode: '22201', country: 'US', phone: phone ?? undefined },
  shippingOption: 'standard',
});

/** A guest's order of `lines` (slug → quantity), paid with the test card that pays; any running shop will do. */
export async function paidOrder(shop: { runtime: Runtime; clock: Clock }, lines: Record<string, number>, details: CheckoutDetails) {
  const ctx = shopContext(shop.runtime);
  let owner: { visitorToken: string | undefined } = { visitorToken: undefined };
  for (const [slug, quantity] of Object.entries(lines)) {
    const added = await addItem(ctx, owner, { slug, quantity });
    assert.ok(added.ok, `${slug} added to the cart`);
    owner = { visitorToken: added.visitorToken ?? owner.visitorToken };
  }
  const placed = await placeOrder(ctx, owner, details, { checkoutKey: randomUUID() });
  assert.ok(placed.ok, 'order placed');
  const card = cardSchema(shop.clock.now()).parse({ number: '4242 4242 4242 4242', expMonth: '12', expYear: String(shop.clock.now().getUTCFullYear() + 3), cvc: '123' });
  const paid = await payOrder(ctx, placed.orderId, ctx.payments.tokenize(card).token);
  assert.ok(paid.ok, 'order paid');
  return { orderId: placed.orderId, number: placed.number, totalCents: placed.totalCents };
}
