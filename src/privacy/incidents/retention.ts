import { sql } from 'drizzle-orm';
import { anyOf } from '../../platform/db/index.ts';
import { registerRetentionClock } from '../retention/sweep.ts';
import { incidents, incidentSteps } from './schema.ts';

// The incident register is kept as evidence (GDPR Art. 33(5)) for its retention rule's maximum after the incident
// is closed (5 years by default), then deleted with its steps, its notice record and the alerts that opened it. It
// holds unit ids and counts, never anyone's data, so nothing personal is copied into it or left behind.

export function registerIncidentRetention(): void {
  registerRetentionClock({
    kind: 'incident',
    from: sql`${incidents}`,
    // An incident still open has no clock yet.
    startedAt: sql`(select max(${incidentSteps.at}) from ${incidentSteps} where ${incidentSteps.incidentId} = ${incidents.id} and ${incidentSteps.step} = 'closed')`,
    unitId: null,
    rowId: sql`${incidents.id}`,
    label: sql`'incident discovered ' || to_char(${incidents.discoveredAt}, 'YYYY-MM-DD')`,
    async expire(ctx, rows) {
      // Steps, notices and the alerts that opened it go with the row (their foreign keys cascade).
      await ctx.db.delete(incidents).where(anyOf(incidents.id, rows.map((r) => r.rowId), 'uuid'));
      return rows.length;
    },
  });
}
