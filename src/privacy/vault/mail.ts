import { eq } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import type { MailSealer } from '../../platform/mail/service.ts';
import { unitKeys } from './schema.ts';
import { createUnit, isErased, openJson, sealJson, shred, type Keyring, type UnitRef } from './service.ts';

// Outbox messages at rest are sealed by the vault: under the subject's unit key when the message belongs to a
// subject, so erasing the subject reaches the queued message too; otherwise under a key of the message's own,
// shredded as soon as it has been delivered.

export const outboxPlace = (outboxId: string) => ({ table: 'outbox', column: 'envelope', rowId: outboxId });

export function vaultMailSealer(keys: Keyring, clock: Clock): MailSealer {
  return {
    async seal(tx, outboxId, message, subjectUnitId) {
      const ctx = { db: tx, clock, keys };
      const unit: UnitRef = subjectUnitId ? { kind: 'account', id: subjectUnitId } : await createUnit(ctx, 'outbox_message');
      return { unitId: unit.id, envelope: await sealJson(ctx, unit, outboxPlace(outboxId), message) };
    },
    async open(db, outboxId, unitId, envelope) {
      const message = await openJson<{ to: string; subject: string; text: string; html?: string }>({ db, clock, keys }, unitId, outboxPlace(outboxId), envelope);
      return isErased(message) ? undefined : message;
    },
    async release(db, unitId) {
      const [key] = await db.select({ kind: unitKeys.unitKind }).from(unitKeys).where(eq(unitKeys.unitId, unitId));
      if (key?.kind === 'outbox_message') await shred({ db, clock, keys }, [unitId], 'message delivered');
    },
  };
}
