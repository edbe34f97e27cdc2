import { deriveKey } from '../platform/keys.ts';
import type { Platform } from '../platform/http/app.ts';
import { keyringFrom } from '../privacy/vault/service.ts';
import type { CheckoutContext } from './checkout/service.ts';
import { testPay, type TestPay } from './payments/testpay/service.ts';

// The context the shop's services share, built once per running platform: the database, the clock, the vault's
// keys, the mail outbox and the payment provider.

export type ShopContext = CheckoutContext & { payments: TestPay; returnsAddress: readonly string[] };

const built = new WeakMap<Platform, ShopContext>();

export function shopContext(platform: Platform): ShopContext {
  let ctx = built.get(platform);
  if (!ctx) {
    const { database, clock, masterKey, jobs, sealer, config } = platform;
    ctx = {
      db: database.db,
      clock,
      keys: keyringFrom(masterKey),
      jobs,
      sealer,
      payments: testPay({ db: database.db, clock, secret: deriveKey(masterKey, 'testpay-token-signing') }),
      baseUrl: config.baseUrl,
      shopName: config.shop.name,
      returnsAddress: config.shop.returnsAddress,
    };
    built.set(platform, ctx);
  }
  return ctx;
}
