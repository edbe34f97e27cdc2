import type { Config } from './platform/config.ts';
import { html } from './platform/http/html.ts';
import { openRuntime, type Runtime, type RuntimeOptions } from './platform/runtime.ts';
import { inventoryProblems } from './privacy/inventory.ts';
import { retentionRules } from './privacy/retention/rules.ts';
import { vaultMailSealer } from './privacy/vault/mail.ts';
import { keyringFrom } from './privacy/vault/service.ts';
import { DESTROY_SALTS_JOB, destroyOldSalts } from './shop/analytics/service.ts';
import { EXPIRE_UNPAID_JOB, expireUnpaidOrder } from './shop/checkout/service.ts';
import { shopContext } from './shop/context.ts';
import { EXPIRE_EXPORT_JOB, expireCopies, prepareExport, PREPARE_EXPORT_JOB, privacyCenterContext } from './shop/privacy-center/service.ts';
import { registerShopUnits } from './shop/privacy-center/units.ts';

// The platform runtime with the privacy engine plugged in (outbox messages sealed by the vault, an inventory that
// must be consistent before anything starts) and the shop's background jobs defined.

export async function openShopRuntime(config: Config, options: Omit<RuntimeOptions, 'sealer' | 'defaultNav' | 'footerLinks'> = {}): Promise<Runtime> {
  const problems = inventoryProblems();
  if (problems.length > 0) throw new Error(`the data inventory is inconsistent:\n${problems.join('\n')}`);
  // A retention setting that would keep data less than promised stops the shop here, before it serves anyone.
  retentionRules(config.retention);
  const runtime = await openRuntime(config, {
    ...options,
    sealer: (masterKey, clock) => vaultMailSealer(keyringFrom(masterKey), clock),
    defaultNav: html`<a href="/">Shop</a><a href="/cart">Cart</a><a href="/account">Account</a>`,
    footerLinks: html`<a href="/contact">Contact us</a> · <a href="/orders/lookup">Find an order</a> · <a href="/privacy-center">Privacy center</a> · `,
  });
  runtime.jobs.define<{ orderId: string }>({
    name: EXPIRE_UNPAID_JOB,
    handler: async ({ orderId }) => {
      await expireUnpaidOrder(shopContext(runtime), orderId);
    },
  });
  registerShopUnits();
  runtime.jobs.define<{ exportId: string }>({ name: PREPARE_EXPORT_JOB, handler: async ({ exportId }) => void (await prepareExport(privacyCenterContext(runtime), exportId)) });
  runtime.jobs.define<{ exportId: string }>({ name: EXPIRE_EXPORT_JOB, handler: async ({ exportId }) => void (await expireCopies(privacyCenterContext(runtime), [exportId])) });
  // Yesterday's analytics salt goes when the day ends (and is also swept by the first view of a new day).
  runtime.jobs.define({ name: DESTROY_SALTS_JOB, handler: async () => void (await destroyOldSalts(shopContext(runtime))) });
  return runtime;
}
