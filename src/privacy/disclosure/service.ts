import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Clock } from '../../platform/clock.ts';
import type { Executor, Tx } from '../../platform/db/index.ts';
import { AccessDenied, FIELDS, type Actor, type Field } from '../access.ts';
import { PROCESSORS, type Processor, type Purpose } from '../inventory.ts';
import { disclosures } from './schema.ts';

// The only way personal data leaves Pledge (seed 000 §3): a payload checked against the recipient's allow-list
// and written to the ledger in the transaction of the action that sends it.

/**
 * A payload with fields its processor may not receive. No user input can cause it: the code built the payload, so
 * it is a 500 (logged, generic page), and the message names fields, never values, so the log stays clean.
 */
export class DisclosureRefused extends Error {
  readonly statusCode = 500;
  readonly code = 'disclosure_refused';
  override name = 'DisclosureRefused';
  readonly fields: readonly string[];
  constructor(processor: Processor, fields: readonly string[]) {
    super(`${processor} may not receive ${fields.join(', ')}`);
    this.fields = fields;
  }
}

export type DisclosureContext = { clock: Clock; actor?: Actor | undefined };

function staffIdOf(actor: Actor | undefined): string | null {
  return actor?.kind === 'staff' ? actor.staffId : null;
}

/** Checks `payload`'s top-level keys against the processor's allow-list, ledgers them and hands the payload back. */
export async function disclose<T extends Record<string, unknown>>(
  ctx: DisclosureContext,
  tx: Tx,
  processor: Processor,
  purpose: Purpose,
  subjectUnitId: string,
  payload: T,
): Promise<T> {
  const allowed: readonly string[] = PROCESSORS[processor].fields;
  const fields = Object.keys(payload).sort();
  const extra = fields.filter((field) => !allowed.includes(field));
  if (extra.length > 0) throw new DisclosureRefused(processor, extra);
  await tx.insert(disclosures).values({ at: ctx.clock.now(), processor, purpose, fields, subjectUnitId, staffId: staffIdOf(ctx.actor) });
  return payload;
}

const LegalDisclosure = z.object({
  basis: z.string().trim().min(1, 'Name the law or order that requires the disclosure.').max(500),
  authority: z.string().trim().min(1, 'Name the authority that asked.').max(200),
  fields: z.array(z.enum(Object.keys(FIELDS) as [Field, ...Field[]])).min(1, 'Choose the fields disclosed.'),
  subjectUnitId: z.uuid(),
});
export type LegalDisclosure = z.input<typeof LegalDisclosure>;

/** A disclosure to an authority under a legal obligation, recorded by the privacy officer who made it. */
export async function recordLegalDisclosure(ctx: { clock: Clock; actor: Actor }, tx: Tx, input: LegalDisclosure): Promise<number> {
  const { actor } = ctx;
  if (actor.kind !== 'staff' || !actor.roles.includes('privacy_officer')) throw new AccessDenied('only the privacy officer records legal disclosures');
  const { basis, authority, fields, subjectUnitId } = LegalDisclosure.parse(input);
  const [row] = await tx
    .insert(disclosures)
    .values({
      at: ctx.clock.now(),
      processor: null,
      purpose: 'legal_obligation',
      fields: [...new Set(fields)].sort(),
      subjectUnitId,
      legalBasis: basis,
      authority,
      staffId: actor.staffId,
    })
    .returning({ id: disclosures.id });
  return row!.id;
}

export type DisclosureRow = typeof disclosures.$inferSelect;

/** Everything disclosed about one subject, oldest first. */
export async function listDisclosuresOf(db: Executor, subjectUnitId: string): Promise<DisclosureRow[]> {
  return db.select().from(disclosures).where(eq(disclosures.subjectUnitId, subjectUnitId.toLowerCase())).orderBy(asc(disclosures.id));
}
