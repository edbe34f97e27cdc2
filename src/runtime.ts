import { asc, gt } from 'drizzle-orm';
import type { Config } from './platform/config.ts';
import { html } from './platform/http/html.ts';
import { openRuntime, type Runtime, type RuntimeOptions } from './platform/runtime.ts';
import { inventoryProblems } from './privacy/inventory.ts';
import { POLICY_NOTICE_JOB, sendNoticeBatch, type NoticeAudience, type NoticeRecipient } from './privacy/policy/service.ts';
import { retentionRules } from './privacy/retention/rules.ts';
import { vaultMailSealer } from './privacy/vault/mail.ts';
import { keyringFrom, type VaultContext } from './privacy/vault/service.ts';
import { customers } from './shop/accounts/schema.ts';
import { PASSWORD_RESET_JOB, profile, sendPasswordReset } from './shop/accounts/service.ts';
import { DESTROY_SALTS_JOB, destroyOldSalts, SEAL_DAYS_JOB, sealPastDays } from './shop/analytics/service.ts';
import { EXPIRE_UNPAID_JOB, expireUnpaidOrder } from './shop/checkout/service.ts';
import { ORDER_LINK_JOB, sendOrderLink } from './shop/orders/service.ts';
import { REFUND_CANCELLED_JOB, refundCancelledOrder } from './shop/fulfilment/service.ts';
import { shopContext } from './shop/context.ts';
import { EXPIRE_EXPORT_JOB, expireCopies, prepareExport, PREPARE_EXPORT_JOB, privacyCenterContext } from './shop/privacy-center/service.ts';
import { registerShopUnits } from './shop/privacy-center/units.ts';
import { registerShopRetention, retentionContext } from './shop/privacy-center/retention.ts';
import { RETENTION_SWEEP_JOB, sweepExpired } from './privacy/retention/sweep.ts';
import { keepBackups } from './privacy/backups/retention.ts';
import { registerIncidentRetention } from './privacy/incidents/retention.ts';
import { registerSecurityRetention } from './privacy/security/retention.ts';
import { checkAccess, SECURITY_CHECK_JOB, securityContext, securitySettings } from './privacy/security/service.ts';
import { registerShopJustifications } from './shop/backoffice/justifications.ts';

// The platform runtime with the privacy engine plugged in (outbox messages sealed by the vault, an inventory that
// must be consistent before anything starts) and the shop's background jobs defined.

export async function openShopRuntime(config: Config, options: Omit<RuntimeOptions, 'sealer' | 'defaultNav' | 'footerLinks'> = {}): Promise<Runtime> {
  const problems = inventoryProblems();
  if (problems.length > 0) throw new Error(`the data inventory is inconsistent:\n${problems.join('\n')}`);
  // A retention setting that would keep data less than promised stops the shop here, before it serves anyone.
  const rules = retentionRules(config.retention);
  securitySettings(config.security);
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
  // An order cancelled by its customer's erasure is refunded once the erasure commits; a provider failure is retried.
  runtime.jobs.define<{ orderId: string }>({
    name: REFUND_CANCELLED_JOB,
    queue: { retryLimit: 10, retryDelay: 60, retryBackoff: true },
    handler: async ({ orderId }) => {
      await refundCancelledOrder(shopContext(runtime), orderId);
    },
  });
  registerShopUnits(rules);
  registerShopRetention();
  registerIncidentRetention();
  registerSecurityRetention();
  registerShopJustifications();
  keepBackups(runtime);
  // Every ten minutes, one instance checks the access anomaly rules; new alerts are mailed to the privacy officers.
  runtime.jobs.define({
    name: SECURITY_CHECK_JOB,
    schedule: '*/10 * * * *',
    queue: { expireInSeconds: 600, retryLimit: 2 },
    handler: async () => {
      const raised = await checkAccess(securityContext(runtime));
      if (raised.length > 0) runtime.log.warn({ alerts: raised.map((a) => a.id) }, 'security alerts raised');
    },
  });
  // Every night at 03:15 UTC, one instance sweeps what has passed its maximum; the counts go to the log.
  runtime.jobs.define({
    name: RETENTION_SWEEP_JOB,
    schedule: '15 3 * * *',
    queue: { expireInSeconds: 3600, retryLimit: 3 },
    handler: async () => {
      const result = await sweepExpired(retentionContext(runtime), { trigger: 'schedule' });
      runtime.log.info({ sweep: result.sweepId, batches: result.batches, counts: result.counts }, 'retention sweep finished');
    },
  });
  runtime.jobs.define<{ customerId: string | null }>({ name: PASSWORD_RESET_JOB, handler: async ({ customerId }) => sendPasswordReset(shopContext(runtime), customerId) });
  runtime.jobs.define<{ orderId: string | null }>({ name: ORDER_LINK_JOB, handler: async ({ orderId }) => sendOrderLink(shopContext(runtime), orderId) });
  runtime.jobs.define<{ exportId: string }>({ name: PREPARE_EXPORT_JOB, handler: async ({ exportId }) => void (await prepareExport(privacyCenterContext(runtime), exportId)) });
  runtime.jobs.define<{ exportId: string }>({ name: EXPIRE_EXPORT_JOB, handler: async ({ exportId }) => void (await expireCopies(privacyCenterContext(runtime), [exportId])) });
  // Yesterday's analytics salt goes when the day ends (and is also swept by the first view of a new day).
  runtime.jobs.define({ name: DESTROY_SALTS_JOB, handler: async () => void (await destroyOldSalts(shopContext(runtime))) });
  // Soon after, that day's views are sealed: counted into totals and co-views, and their keys dropped. The first
  // seal after an upgrade seals every day kept before it, a transaction a day: it may need more than 15 minutes.
  runtime.jobs.define({ name: SEAL_DAYS_JOB, queue: { expireInSeconds: 3600 }, handler: async () => void (await sealPastDays(shopContext(runtime))) });
  // Advance notice of a significant change of the privacy policy goes to every customer account, a batch per job.
  runtime.jobs.define<{ version: number; after?: string }>({
    name: POLICY_NOTICE_JOB,
    handler: async (job) => void (await sendNoticeBatch(shopContext(runtime), customerAccounts(shopContext(runtime)), job)),
  });
  return runtime;
}

/** The shop's customer accounts for the policy's advance notices: id order, each opened under its own key. */
function customerAccounts(ctx: VaultContext): NoticeAudience {
  return async (after, limit) => {
    const rows = await ctx.db.select({ id: customers.id }).from(customers).where(after === undefined ? undefined : gt(customers.id, after)).orderBy(asc(customers.id)).limit(limit);
    const recipients: NoticeRecipient[] = [];
    for (const row of rows) {
      const account = await profile(ctx, row.id);
      if (account) recipients.push({ customerId: account.id, unitId: account.unitId, email: account.email });
    }
    return { recipients, next: rows.length === limit ? rows.at(-1)!.id : undefined };
  };
}
