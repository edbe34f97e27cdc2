import { and, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { anyOf, inTransaction, type Tx } from '../../platform/db/index.ts';
import { outbox } from '../../platform/mail/schema.ts';
import { queueMail } from '../../platform/mail/service.ts';
import { consentRecords } from '../../privacy/consent/schema.ts';
import { addSpan, INACTIVITY_WARNING_DAYS, retentionRules } from '../../privacy/retention/rules.ts';
import type { Platform } from '../../platform/http/app.ts';
import { registerDerivedCopy, registerRetentionClock, type DueRow, type RetentionContext } from '../../privacy/retention/sweep.ts';
import { unitRestrictions } from '../../privacy/requests/schema.ts';
import { staffSessions } from '../../privacy/staff/schema.ts';
import { unitKeys } from '../../privacy/vault/schema.ts';
import { blindIndex, shred, type VaultContext } from '../../privacy/vault/service.ts';
import { underHold, type Holdable } from '../../privacy/retention/holds.ts';
import type { HoldLookups } from '../../privacy/retention/routes.ts';
import { pageViews } from '../analytics/schema.ts';
import { forgetExpiredTotals } from '../analytics/service.ts';
import { customers, customerSessions, customerTokens } from '../accounts/schema.ts';
import { profile } from '../accounts/service.ts';
import { carts } from '../cart/schema.ts';
import { orderPasses, orders } from '../orders/schema.ts';
import { payments } from '../payments/schema.ts';
import { ticketPasses, tickets } from '../tickets/schema.ts';
import { expireCopies, privacyCenterContext } from './service.ts';
import { deleteAccounts, eraseOrders } from './units.ts';

// When the shop's data reaches its maximum (src/privacy/retention/rules.ts): where each kind's clock starts, as SQL
// the sweep can count and page through, and what expiring a batch does. Every kind also takes the e-mails sealed
// under its units' keys, so a copy in the outbox never outlives the data it was about.

const unitIdsOf = (rows: readonly DueRow[]) => rows.map((r) => r.unitId).filter((id): id is string => id !== null);
const rowIdsOf = (rows: readonly DueRow[]) => rows.map((r) => r.rowId);

async function dropMessagesOf(tx: Tx, unitIds: string[]): Promise<void> {
  if (unitIds.length > 0) await tx.delete(outbox).where(anyOf(outbox.unitId, unitIds, 'uuid'));
}

/** Orders past their maximum become anonymous sales records: date, destination country, lines and totals. */
function registerOrders(): void {
  registerRetentionClock({
    kind: 'order',
    from: sql`${orders} join ${unitKeys} on ${unitKeys.unitId} = ${orders.unitId}`,
    startedAt: sql`${orders.lastActivityAt}`,
    unitId: sql`${orders.unitId}`,
    rowId: sql`${orders.id}`,
    label: sql`'order ' || ${orders.number}`,
    async expire(ctx, rows, reason) {
      const units = rows.map((r) => ({ kind: 'order' as const, rowId: r.rowId, unitId: r.unitId! }));
      await eraseOrders(ctx, units, { mayRestrict: false, reason }, { blank: true });
      await ctx.db.update(payments).set({ cardBrand: Buffer.alloc(0), cardLast4: Buffer.alloc(0) }).where(anyOf(payments.orderId, rowIdsOf(rows), 'uuid'));
      await ctx.db.delete(unitRestrictions).where(anyOf(unitRestrictions.unitId, unitIdsOf(rows), 'uuid'));
      await dropMessagesOf(ctx.db, unitIdsOf(rows));
      return rows.length;
    },
  });
}

function registerTickets(): void {
  registerRetentionClock({
    kind: 'ticket',
    from: sql`${tickets}`,
    // An open ticket's clock has not started (null): it is still being answered.
    startedAt: sql`${tickets.closedAt}`,
    unitId: sql`${tickets.unitId}`,
    rowId: sql`${tickets.id}`,
    label: sql`'ticket ' || ${tickets.reference}`,
    async expire(ctx, rows, reason) {
      // Messages and passes go with the row (foreign keys cascade).
      await ctx.db.delete(tickets).where(anyOf(tickets.id, rowIdsOf(rows), 'uuid'));
      await shred(ctx, unitIdsOf(rows), reason);
      await dropMessagesOf(ctx.db, unitIdsOf(rows));
      return rows.length;
    },
  });
}

/** An account's clock restarts with every sign-in and every order placed while signed in. */
const accountLastActive = sql`greatest(${customers.lastActiveAt}, (select max(${orders.placedAt}) from ${orders} where ${orders.customerId} = ${customers.id}))`;

function registerAccounts(): void {
  registerRetentionClock({
    kind: 'account',
    from: sql`${customers}`,
    startedAt: accountLastActive,
    unitId: sql`${customers.unitId}`,
    rowId: sql`${customers.id}`,
    label: sql`'account created ' || to_char(${customers.createdAt}, 'YYYY-MM-DD')`,
    // Never erased unwarned: the warning must have gone out after the last activity, 30 days ago or more.
    dueAlso: (now) =>
      sql`${customers.inactivityWarnedAt} >= ${accountLastActive} and ${customers.inactivityWarnedAt} <= ${addSpan(now, { amount: INACTIVITY_WARNING_DAYS, unit: 'days' }, -1).toISOString()}::timestamptz`,
    async expire(ctx, rows, reason) {
      await deleteAccounts(ctx.db, rowIdsOf(rows));
      await shred(ctx, unitIdsOf(rows), reason);
      await dropMessagesOf(ctx.db, unitIdsOf(rows));
      return rows.length;
    },
    async warn(ctx, rule) {
      const now = ctx.clock.now();
      // Warn those whose maximum falls within the warning period, once per stretch of inactivity.
      const warnFrom = addSpan(addSpan(now, { amount: INACTIVITY_WARNING_DAYS, unit: 'days' }), rule.maximum, -1);
      const due = await ctx.db
        .select({ id: customers.id })
        .from(customers)
        .where(
          and(
            lte(customers.lastActiveAt, warnFrom),
            sql`${accountLastActive} <= ${warnFrom.toISOString()}::timestamptz`,
            sql`(${customers.inactivityWarnedAt} is null or ${customers.inactivityWarnedAt} < ${accountLastActive})`,
            sql`not ${underHold(sql`${customers.unitId}`)}`,
          ),
        )
        .limit(1000);
      let warned = 0;
      for (const { id } of due) {
        await inTransaction(ctx.db, async (tx) => {
          const person = await profile({ ...ctx, db: tx }, id);
          if (!person) return;
          const erasureOn = addSpan(now, { amount: INACTIVITY_WARNING_DAYS, unit: 'days' }).toISOString().slice(0, 10);
          await queueMail(
            ctx,
            tx,
            `account:${id}:inactivity:${now.toISOString().slice(0, 10)}`,
            {
              to: person.email,
              subject: `Your ${ctx.shopName} account will be deleted on ${erasureOn}`,
              text: `Hello ${person.name},\n\nYou have not signed in or ordered with us for a long time. We keep an inactive account for at most ${rule.maximum.amount} ${rule.maximum.unit} (see ${ctx.baseUrl}/privacy), so we will delete yours, with its address book, on ${erasureOn}.\n\nTo keep it, simply sign in before then: ${ctx.baseUrl}/account/login\n\nOrders you placed are kept as long as the law requires, whether or not the account stays.\n\n${ctx.shopName}`,
            },
            person.unitId,
          );
          await tx.update(customers).set({ inactivityWarnedAt: now }).where(eq(customers.id, id));
          warned++;
        });
      }
      return warned;
    },
  });
}

function registerConsentRecords(): void {
  const later = sql.raw('later');
  // A choice's clock starts when a newer choice of the same browser replaces it; the choice in force, when made.
  const replacedAt = sql`coalesce((select min(${later}.recorded_at) from ${consentRecords} ${later} where ${later}.unit_id = ${consentRecords.unitId} and ${later}.recorded_at > ${consentRecords.recordedAt}), ${consentRecords.recordedAt})`;
  registerRetentionClock({
    kind: 'consent_record',
    from: sql`${consentRecords}`,
    startedAt: replacedAt,
    unitId: sql`${consentRecords.unitId}`,
    rowId: sql`${consentRecords.id}`,
    label: sql`'cookie choice of ' || to_char(${consentRecords.recordedAt}, 'YYYY-MM-DD')`,
    async expire(ctx, rows, reason) {
      const gone = await ctx.db.delete(consentRecords).where(inArray(consentRecords.id, rowIdsOf(rows))).returning({ unitId: consentRecords.unitId });
      const units = [...new Set(gone.map((g) => g.unitId))];
      const left = units.length === 0 ? [] : await ctx.db.selectDistinct({ unitId: consentRecords.unitId }).from(consentRecords).where(inArray(consentRecords.unitId, units));
      await shred(ctx, units.filter((u) => !left.some((l) => l.unitId === u)), reason);
      return rows.length;
    },
  });
}

function registerAnalytics(): void {
  registerRetentionClock({
    kind: 'analytics_day',
    from: sql`${pageViews}`,
    startedAt: sql`${pageViews.hour}`,
    batchSize: 5000,
    unitId: null,
    rowId: sql`${pageViews.id}`,
    label: sql`'page views of ' || to_char(${pageViews.hour}, 'YYYY-MM-DD')`,
    async expire(ctx, rows) {
      // "Customers also viewed" and the visits are counted from these rows, so the co-views and totals go with them.
      await ctx.db.delete(pageViews).where(anyOf(pageViews.id, rowIdsOf(rows).map(Number), 'bigint'));
      await forgetExpiredTotals(ctx.db);
      return rows.length;
    },
  });
}

function registerMessages(): void {
  registerRetentionClock({
    kind: 'outbox_message',
    from: sql`${outbox}`,
    // Counted from when it was written (indexed): delivery gives up within days, so 90 days on nothing is in flight.
    startedAt: sql`${outbox.createdAt}`,
    batchSize: 5000,
    // Messages under a held account's or order's key are held with it.
    unitId: sql`${outbox.unitId}`,
    rowId: sql`${outbox.id}`,
    label: sql`'e-mail queued ' || to_char(${outbox.createdAt}, 'YYYY-MM-DD')`,
    async expire(ctx, rows, reason) {
      const gone = await ctx.db.delete(outbox).where(anyOf(outbox.id, rowIdsOf(rows), 'uuid')).returning({ unitId: outbox.unitId });
      // A message with a key of its own takes the key; one sealed under its subject's key leaves that key alone.
      const own = gone.length === 0 ? [] : await ctx.db.select({ unitId: unitKeys.unitId }).from(unitKeys).where(and(anyOf(unitKeys.unitId, gone.map((g) => g.unitId), 'uuid'), eq(unitKeys.unitKind, 'outbox_message')));
      await shred(ctx, own.map((o) => o.unitId), reason);
      return rows.length;
    },
  });
}

/** The guest-cart cookie lives 30 days from the cart's last change (src/privacy/cookies.ts); the cart no longer. */
const GUEST_CART_DAYS = 30;

/** Rows that carry their own expiry: deleted once it has passed (the count is of deleted rows). */
function expiring(name: string, label: string, table: PgTable, expiresAt: PgColumn): void {
  registerDerivedCopy({ name, label, purge: async (ctx) => (await ctx.db.delete(table).where(lte(expiresAt, ctx.clock.now())).returning({ expiresAt })).length });
}

function registerDerived(): void {
  expiring('customer sessions', 'Sign-in sessions, deleted when they expire', customerSessions, customerSessions.expiresAt);
  expiring('account links', 'E-mailed sign-up and password links, deleted when they expire', customerTokens, customerTokens.expiresAt);
  expiring('order passes', 'Links and passes to a guest’s order, deleted when they expire', orderPasses, orderPasses.expiresAt);
  expiring('ticket passes', 'Links to a customer-service conversation, deleted when they expire', ticketPasses, ticketPasses.expiresAt);
  expiring('staff sessions', 'Staff sign-in sessions, deleted when they expire', staffSessions, staffSessions.expiresAt);
  registerDerivedCopy({
    name: 'guest carts',
    label: `Carts of visitors who are not signed in, ${GUEST_CART_DAYS} days after their last change`,
    purge: async (ctx) =>
      (await ctx.db.delete(carts).where(and(isNull(carts.customerId), lte(carts.updatedAt, addSpan(ctx.clock.now(), { amount: GUEST_CART_DAYS, unit: 'days' }, -1)))).returning({ id: carts.id })).length,
  });
  registerDerivedCopy({ name: 'prepared copies', label: 'Prepared copies of someone’s data, deleted when their link expires', purge: (ctx) => expireCopies(ctx) });
}

/** Registers the shop's retention clocks and derived copies with the engine, at start. */
export function registerShopRetention(): void {
  registerOrders();
  registerTickets();
  registerAccounts();
  registerConsentRecords();
  registerAnalytics();
  registerMessages();
  registerDerived();
}

/** What the sweep and the report run with: the shop's context and the rules in force. */
export function retentionContext(platform: Platform): RetentionContext {
  return { ...privacyCenterContext(platform), rules: retentionRules(platform.config.retention) };
}

/** What the privacy officer's hold form finds: an order by number, a ticket by reference, an account by e-mail. */
export function holdLookups(ctx: VaultContext): HoldLookups {
  const withKey = async <T extends { unitId: string }>(rows: T[]) => {
    const row = rows[0];
    if (!row) return undefined;
    const [key] = await ctx.db.select({ unitId: unitKeys.unitId }).from(unitKeys).where(eq(unitKeys.unitId, row.unitId));
    return key ? row : undefined;
  };
  return {
    async find(reference) {
      const text = reference.trim();
      const orderNumber = /^#?P?(\d{1,12})$/i.exec(text);
      if (orderNumber) {
        const row = await withKey(await ctx.db.select({ unitId: orders.unitId, id: orders.id, number: orders.number }).from(orders).where(eq(orders.number, `P${orderNumber[1]}`)));
        return row && ({ unitId: row.unitId, unitKind: 'order', rowId: row.id, label: `order ${row.number}` } satisfies Holdable);
      }
      const ticketReference = /^T-?(\d{1,12})$/i.exec(text);
      if (ticketReference) {
        const row = await withKey(await ctx.db.select({ unitId: tickets.unitId, id: tickets.id, reference: tickets.reference }).from(tickets).where(eq(tickets.reference, `T-${ticketReference[1]}`)));
        return row && ({ unitId: row.unitId, unitKind: 'ticket', rowId: row.id, label: `ticket ${row.reference}` } satisfies Holdable);
      }
      if (!text.includes('@')) return undefined;
      const row = await withKey(await ctx.db.select({ unitId: customers.unitId, id: customers.id, createdAt: customers.createdAt }).from(customers).where(eq(customers.emailIndex, blindIndex(ctx.keys, 'email', text))));
      return row && ({ unitId: row.unitId, unitKind: 'account', rowId: row.id, label: `customer account opened ${row.createdAt.toISOString().slice(0, 10)}` } satisfies Holdable);
    },
    async labels(holds) {
      const ids = (kind: string) => holds.filter((h) => h.unitKind === kind).map((h) => h.rowId);
      const orderIds = ids('order');
      const ticketIds = ids('ticket');
      const accountIds = ids('account');
      const numbers = orderIds.length === 0 ? [] : await ctx.db.select({ id: orders.id, number: orders.number }).from(orders).where(inArray(orders.id, orderIds));
      const references = ticketIds.length === 0 ? [] : await ctx.db.select({ id: tickets.id, reference: tickets.reference }).from(tickets).where(inArray(tickets.id, ticketIds));
      const accounts = accountIds.length === 0 ? [] : await ctx.db.select({ id: customers.id, createdAt: customers.createdAt }).from(customers).where(inArray(customers.id, accountIds));
      return holds.map((h) => {
        if (h.unitKind === 'order') return `order ${numbers.find((n) => n.id === h.rowId)?.number ?? '(deleted)'}`;
        if (h.unitKind === 'ticket') return `ticket ${references.find((r) => r.id === h.rowId)?.reference ?? '(deleted)'}`;
        const account = accounts.find((a) => a.id === h.rowId);
        return account ? `customer account opened ${account.createdAt.toISOString().slice(0, 10)}` : 'customer account (deleted)';
      });
    },
  };
}
