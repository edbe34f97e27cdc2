import { and, lte, sql } from 'drizzle-orm';
import { anyOf } from '../../platform/db/index.ts';
import { privacyExports } from '../requests/schema.ts';
import { addSpan } from '../retention/rules.ts';
import { registerDerivedCopy, registerRetentionClock } from '../retention/sweep.ts';
import { staffSignInFailures } from '../staff/schema.ts';
import { copyNetworks, securityAlerts } from './schema.ts';

// Security alerts are kept for their rule's maximum after being raised (1 year by default), except those that
// opened an incident, which go with the incident. What the rules count goes sooner: failed sign-ins after 30 days,
// the keyed hashes of a copy's networks at 7 days old once the copy is fetched or expired.

export const SIGN_IN_FAILURE_DAYS = 30;
export const COPY_NETWORK_DAYS = 7;

export function registerSecurityRetention(): void {
  registerRetentionClock({
    kind: 'security_alert',
    from: sql`${securityAlerts}`,
    startedAt: sql`case when ${securityAlerts.incidentId} is null then ${securityAlerts.raisedAt} end`,
    unitId: null,
    rowId: sql`${securityAlerts.id}`,
    label: sql`'security alert raised ' || to_char(${securityAlerts.raisedAt}, 'YYYY-MM-DD')`,
    async expire(ctx, rows) {
      // Its trail goes with it (the foreign key cascades).
      await ctx.db.delete(securityAlerts).where(anyOf(securityAlerts.id, rows.map((r) => r.rowId), 'uuid'));
      return rows.length;
    },
  });
  registerDerivedCopy({
    name: 'failed staff sign-ins',
    label: `Failed staff sign-ins, counted by the security rules and deleted after ${SIGN_IN_FAILURE_DAYS} days`,
    purge: async (ctx) =>
      (await ctx.db.delete(staffSignInFailures).where(lte(staffSignInFailures.at, addSpan(ctx.clock.now(), { amount: SIGN_IN_FAILURE_DAYS, unit: 'days' }, -1))).returning({ id: staffSignInFailures.id })).length,
  });
  registerDerivedCopy({
    name: 'copy networks',
    label: `Keyed hashes of the networks a copy was asked for and fetched from, deleted when ${COPY_NETWORK_DAYS} days old once the copy is downloaded or expired`,
    async purge(ctx) {
      const waiting = sql`exists (select 1 from ${privacyExports} where ${privacyExports.requestId} = ${copyNetworks.requestId} and ${privacyExports.status} in ('pending', 'ready'))`;
      const old = lte(copyNetworks.at, addSpan(ctx.clock.now(), { amount: COPY_NETWORK_DAYS, unit: 'days' }, -1));
      return (await ctx.db.delete(copyNetworks).where(and(old, sql`not ${waiting}`)).returning({ id: copyNetworks.id })).length;
    },
  });
}
