import { inTransaction } from '../../platform/db/index.ts';
import { queueMail } from '../../platform/mail/service.ts';
import { marketingAllowed } from '../../privacy/consent/service.ts';
import { profile } from '../accounts/service.ts';
import type { ShopContext } from '../context.ts';

// The one way a marketing e-mail leaves the shop (purpose `marketing_with_consent`): only to a customer whose
// marketing switch is on, checked in the same transaction that queues the message.

export type MarketingSend = 'queued' | 'no_consent' | 'no_account';

export async function queueMarketingMail(ctx: ShopContext, customerId: string, message: { key: string; subject: string; text: string }): Promise<MarketingSend> {
  return inTransaction(ctx.db, async (tx) => {
    const vault = { ...ctx, db: tx };
    if (!(await marketingAllowed(vault, customerId))) return 'no_consent';
    const me = await profile(vault, customerId);
    if (!me) return 'no_account';
    await queueMail(ctx, tx, `marketing:${message.key}:${customerId}`, {
      to: me.email,
      subject: message.subject,
      text: `${message.text}\n\nYou receive this because you switched on marketing e-mail. Switch it off at any time in your privacy center: ${ctx.baseUrl}/privacy-center`,
    });
    return 'queued';
  });
}
