import { register, signIn } from '../../src/shop/accounts/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { linkFrom, type TestShop } from './shop.ts';

// A customer with a confirmed address and a live session, made through the account services (no forms).

export type SignedInCustomer = { customerId: string; email: string; cookie: string };

/** Every such customer's password. */
export const CUSTOMER_PASSWORD = 'a long enough password';

export async function signedInCustomer(shop: TestShop, name: string, email: string): Promise<SignedInCustomer> {
  const ctx = shopContext(shop.runtime);
  const password = CUSTOMER_PASSWORD;
  await register(ctx, { name, email, password });
  const verified = await shop.app.inject(await linkFrom(shop, email, /\/account\/verify\//));
  if (verified.statusCode !== 200) throw new Error(`verifying ${email} answered ${verified.statusCode}`);
  const session = await signIn(ctx, { email, password });
  if (!session.ok) throw new Error(`${email} could not sign in`);
  return { customerId: session.customerId, email, cookie: `pledge_session=${session.token}` };
}
