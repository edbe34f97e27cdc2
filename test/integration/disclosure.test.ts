import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ZodError } from 'zod';
import { testClock } from '../../src/platform/clock.ts';
import { inTransaction } from '../../src/platform/db/index.ts';
import { AccessDenied, type Actor } from '../../src/privacy/access.ts';
import { disclose, DisclosureRefused, listDisclosuresOf, recordLegalDisclosure } from '../../src/privacy/disclosure/service.ts';
import { forEachDatabase, freshDatabase, type TestDatabase } from '../support/databases.ts';

const clock = testClock();
const officer: Actor = { kind: 'staff', staffId: 'staff-po-1', roles: ['privacy_officer'] };
const parcel = { recipientName: 'Ada Lovelace', shippingAddress: '12 St James Square, London', phone: '+1 555 0199', parcelContents: 'Lipstick ×2', parcelWeightGrams: 120 };

forEachDatabase('disclosure ledger', (kind) => {
  let database: TestDatabase;
  before(async () => {
    database = await freshDatabase(kind);
  });
  after(() => database.drop());

  test('a payload inside the processor’s allow-list is handed back and ledgered with its field names only', async () => {
    const unit = randomUUID();
    const sent = await inTransaction(database.db, (tx) => disclose({ clock }, tx, 'logistics', 'delivery', unit, parcel));
    assert.equal(sent, parcel);
    const ledger = await listDisclosuresOf(database.db, unit);
    assert.equal(ledger.length, 1);
    const { id, ...row } = ledger[0]!;
    assert.ok(id > 0);
    assert.deepEqual(
      row,
      {
        at: clock.now(),
        processor: 'logistics',
        purpose: 'delivery',
        fields: ['parcelContents', 'parcelWeightGrams', 'phone', 'recipientName', 'shippingAddress'],
        subjectUnitId: unit,
        legalBasis: null,
        authority: null,
        staffId: null,
      },
    );
    assert.doesNotMatch(JSON.stringify(ledger), /Ada Lovelace|St James Square|\+1 555 0199|Lipstick/, 'no values in the ledger');
  });

  test('one field outside the allow-list refuses the whole payload and writes nothing', async () => {
    const unit = randomUUID();
    await assert.rejects(
      inTransaction(database.db, (tx) => disclose({ clock }, tx, 'logistics', 'delivery', unit, { ...parcel, email: 'ada@example.com' })),
      (error: unknown) => {
        assert.ok(error instanceof DisclosureRefused);
        assert.deepEqual(error.fields, ['email']);
        assert.equal(error.message, 'logistics may not receive email');
        assert.equal(error.statusCode, 500);
        return true;
      },
    );
    await assert.rejects(
      inTransaction(database.db, (tx) => disclose({ clock }, tx, 'hosting', 'service_optimisation', unit, { orderId: '1001' })),
      DisclosureRefused,
    );
    assert.deepEqual(await listDisclosuresOf(database.db, unit), []);
  });

  test('a disclosure made by staff names them; rolled back with its action, it leaves no row', async () => {
    const unit = randomUUID();
    const support: Actor = { kind: 'staff', staffId: 'staff-sup-1', roles: ['support'] };
    await inTransaction(database.db, (tx) => disclose({ clock, actor: support }, tx, 'payment', 'after_sales', unit, { orderId: '1001', amountCents: 2400, currency: 'USD' }));
    await assert.rejects(
      inTransaction(database.db, async (tx) => {
        await disclose({ clock }, tx, 'payment', 'order_processing', unit, { orderId: '1001', cardToken: 'tok_1' });
        throw new Error('the payment was declined');
      }),
      /declined/,
    );
    const ledger = await listDisclosuresOf(database.db, unit);
    assert.deepEqual(ledger.map((row) => [row.processor, row.staffId, row.fields]), [['payment', 'staff-sup-1', ['amountCents', 'currency', 'orderId']]]);
  });

  test('only the privacy officer records a legal disclosure, with its basis and authority', async () => {
    const unit = randomUUID();
    const request = { basis: 'Court order 2026/117', authority: 'Metropolitan Police', fields: ['name', 'shippingAddress'] as const, subjectUnitId: unit };
    for (const actor of [
      { kind: 'staff', staffId: 'staff-sup-1', roles: ['support', 'admin'] },
      { kind: 'customer', customerId: 'c-1' },
      { kind: 'system', job: 'retention' },
    ] as Actor[]) {
      await assert.rejects(inTransaction(database.db, (tx) => recordLegalDisclosure({ clock, actor }, tx, { ...request, fields: [...request.fields] })), AccessDenied);
    }
    await assert.rejects(inTransaction(database.db, (tx) => recordLegalDisclosure({ clock, actor: officer }, tx, { ...request, fields: [], basis: ' ' })), (error: unknown) => {
      assert.ok(error instanceof ZodError);
      assert.deepEqual(error.issues.map((issue) => issue.path.join('.')).sort(), ['basis', 'fields']);
      return true;
    });
    assert.deepEqual(await listDisclosuresOf(database.db, unit), []);

    await inTransaction(database.db, (tx) => recordLegalDisclosure({ clock, actor: officer }, tx, { ...request, fields: [...request.fields] }));
    const [row, ...rest] = await listDisclosuresOf(database.db, unit);
    assert.equal(rest.length, 0);
    assert.deepEqual(
      [row!.processor, row!.purpose, row!.fields, row!.legalBasis, row!.authority, row!.staffId],
      [null, 'legal_obligation', ['name', 'shippingAddress'], 'Court order 2026/117', 'Metropolitan Police', 'staff-po-1'],
    );
  });
});
