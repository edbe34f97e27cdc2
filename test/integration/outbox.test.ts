import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { inTransaction, queryRows } from '../../src/platform/db/index.ts';
import { CLAIM_TIMEOUT_MS, deliverOutboxMessage, DELIVER_MAIL_JOB, queueMail } from '../../src/platform/mail/service.ts';
import { outbox } from '../../src/platform/mail/schema.ts';
import type { MailTransport, OutgoingMail } from '../../src/platform/mail/transport.ts';
import { erasureJournal, unitKeys } from '../../src/privacy/vault/schema.ts';
import { createUnit, keyringFrom, shred } from '../../src/privacy/vault/service.ts';
import { forEachDatabase } from '../support/databases.ts';
import { eventually, startTestShop, type TestShop } from '../support/shop.ts';

const message = { to: 'ada@example.com', subject: 'Your order 1001', text: 'Thank you for your order.' };

function countingTransport(fail = 0): MailTransport & { sent: OutgoingMail[] } {
  let failuresLeft = fail;
  const sent: OutgoingMail[] = [];
  return {
    kind: 'files',
    sent,
    async send(mail) {
      if (failuresLeft-- > 0) throw Object.assign(new Error(`550 mailbox ${mail.to} unavailable`), { code: 'EENVELOPE' });
      sent.push(mail);
    },
    close: () => undefined,
  };
}

async function jobCount(shop: TestShop): Promise<number> {
  const [result] = await queryRows<{ n: number }>(shop.database.db, sql`select count(*)::int as n from pgboss.job where name = ${DELIVER_MAIL_JOB}`);
  return result!.n;
}

forEachDatabase('outbox', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind, { seed: false });
  });
  after(() => shop.stop());

  const ctx = () => ({ clock: shop.clock, jobs: shop.runtime.jobs, sealer: shop.runtime.sealer });

  test('mail is written in the transaction of the change: a rollback leaves neither message nor job', async () => {
    const jobsBefore = await jobCount(shop);
    await assert.rejects(
      inTransaction(shop.database.db, async (tx) => {
        await queueMail(ctx(), tx, 'rollback-1', message);
        throw new Error('the order failed');
      }),
      /the order failed/,
    );
    assert.equal((await shop.database.db.select().from(outbox).where(eq(outbox.dedupeKey, 'rollback-1'))).length, 0);
    assert.equal(await jobCount(shop), jobsBefore);
  });

  test('a committed change queues the message and its delivery job once per dedupe key', async () => {
    const jobsBefore = await jobCount(shop);
    const first = await inTransaction(shop.database.db, (tx) => queueMail(ctx(), tx, 'order-1001-confirmation', message));
    const again = await inTransaction(shop.database.db, (tx) => queueMail(ctx(), tx, 'order-1001-confirmation', message));
    assert.ok(first);
    assert.equal(again, null);
    const rows = await shop.database.db.select().from(outbox).where(eq(outbox.dedupeKey, 'order-1001-confirmation'));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 'pending');
    assert.equal(await jobCount(shop), jobsBefore + 1);
  });

  test('at rest the message is sealed: neither the address nor the text is in the row', async () => {
    const id = await inTransaction(shop.database.db, (tx) => queueMail(ctx(), tx, 'sealed-1', message));
    const [row] = await shop.database.db.select().from(outbox).where(eq(outbox.id, id!));
    assert.ok(!row!.envelope.includes(Buffer.from(message.to)));
    assert.ok(!row!.envelope.includes(Buffer.from(message.subject)));
    const [raw] = await queryRows<{ text: string }>(shop.database.db, sql`select row_to_json(outbox)::text as text from outbox where id = ${id}`);
    assert.ok(!raw!.text.includes(message.to) && !raw!.text.includes(Buffer.from(message.to).toString('hex')));
  });

  test('once delivered, a message’s own key is shredded; a message of an erased subject is never sent', async () => {
    const id = await inTransaction(shop.database.db, (tx) => queueMail(ctx(), tx, 'own-key-1', message));
    const [row] = await shop.database.db.select().from(outbox).where(eq(outbox.id, id!));
    const transport = countingTransport();
    const deliveryCtx = { db: shop.database.db, clock: shop.clock, transport, from: 'shop@example.com', sealer: shop.runtime.sealer };
    assert.equal(await deliverOutboxMessage(deliveryCtx, id!), 'sent');
    assert.equal((await shop.database.db.select().from(unitKeys).where(eq(unitKeys.unitId, row!.unitId))).length, 0);
    const [journal] = await shop.database.db.select().from(erasureJournal).where(eq(erasureJournal.unitId, row!.unitId));
    assert.equal(journal!.reason, 'message delivered');

    const vault = { db: shop.database.db, clock: shop.clock, keys: keyringFrom(shop.runtime.masterKey) };
    const subject = await createUnit(vault, 'account');
    const queued = await inTransaction(shop.database.db, (tx) => queueMail(ctx(), tx, 'subject-mail-1', message, subject.id));
    await shred(vault, [subject.id], 'erasure request');
    assert.equal(await deliverOutboxMessage(deliveryCtx, queued!), 'erased');
    const [cancelled] = await shop.database.db.select().from(outbox).where(eq(outbox.id, queued!));
    assert.equal(cancelled!.status, 'cancelled');
    assert.equal(transport.sent.length, 1, 'only the first message went out');
  });

  test('a delivery job that runs twice, even at the same time, sends the message once', async () => {
    const id = await inTransaction(shop.database.db, (tx) => queueMail(ctx(), tx, 'twice-1', message));
    const transport = countingTransport();
    const deliver = () => deliverOutboxMessage({ db: shop.database.db, clock: shop.clock, transport, from: 'shop@example.com', sealer: shop.runtime.sealer }, id!);
    const results = await Promise.all([deliver(), deliver()]);
    // The second finds it claimed (its job comes back later) or, if the first was that quick, already sent.
    assert.equal(results.filter((r) => r === 'sent').length, 1);
    assert.ok(results.every((r) => r === 'sent' || r === 'claimed' || r === 'already-handled'), results.join());
    assert.equal(await deliver(), 'already-handled');
    assert.equal(transport.sent.length, 1);
    assert.equal(transport.sent[0]!.to, message.to);
    const [row] = await shop.database.db.select().from(outbox).where(eq(outbox.id, id!));
    assert.equal(row!.status, 'sent');
    assert.ok(row!.sentAt);
  });

  test('a failed send goes back to pending without the address in the error, and the retry delivers', async () => {
    const id = await inTransaction(shop.database.db, (tx) => queueMail(ctx(), tx, 'retry-1', message));
    const transport = countingTransport(1);
    const deliver = () => deliverOutboxMessage({ db: shop.database.db, clock: shop.clock, transport, from: 'shop@example.com', sealer: shop.runtime.sealer }, id!);
    await assert.rejects(deliver(), /mailbox/);
    const [failed] = await shop.database.db.select().from(outbox).where(eq(outbox.id, id!));
    assert.equal(failed!.status, 'pending');
    assert.equal(failed!.attempts, 1);
    assert.equal(failed!.lastError, 'Error EENVELOPE');
    assert.equal(await deliver(), 'sent');
    assert.equal(transport.sent.length, 1);
  });

  test('a delivery that died mid-send is picked up again once its claim expires', async () => {
    const id = await inTransaction(shop.database.db, (tx) => queueMail(ctx(), tx, 'crashed-1', message));
    await shop.database.db.update(outbox).set({ status: 'sending', claimedAt: shop.clock.now() }).where(eq(outbox.id, id!));
    const transport = countingTransport();
    const deliver = () => deliverOutboxMessage({ db: shop.database.db, clock: shop.clock, transport, from: 'shop@example.com', sealer: shop.runtime.sealer }, id!);
    assert.equal(await deliver(), 'claimed', 'a live claim is respected, and the job told to come back');
    shop.clock.advance(CLAIM_TIMEOUT_MS + 1000);
    assert.equal(await deliver(), 'sent');
    assert.equal(transport.sent.length, 1);
  });
});

forEachDatabase('mail delivery through the job system', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind, { seed: false, work: true });
  });
  after(() => shop.stop());

  test('a delivery job that finds the message claimed by a delivery that died is tried again, and sends it once the claim runs out', async () => {
    // The claim of a server killed mid-send, made in the transaction that queues the message, so no worker is first.
    const id = await inTransaction(shop.database.db, async (tx) => {
      const queued = await queueMail({ clock: shop.clock, jobs: shop.runtime.jobs, sealer: shop.runtime.sealer }, tx, 'claimed-by-the-dead-1', { to: 'ada@example.com', subject: 'Order 1002', text: 'Thanks.' });
      await tx.update(outbox).set({ status: 'sending', claimedAt: shop.clock.now() }).where(eq(outbox.id, queued!));
      return queued!;
    });
    const job = async () => (await queryRows<{ state: string; retries: number }>(shop.database.db, sql`select state::text as state, retry_count as retries from pgboss.job where name = ${DELIVER_MAIL_JOB} and data->>'outboxId' = ${id}`))[0];
    await eventually(async () => (await job())?.state === 'retry', 60_000, 'the job to be put back for a retry');
    shop.clock.advance(CLAIM_TIMEOUT_MS + 1000);
    await eventually(async () => (await shop.database.db.select().from(outbox).where(eq(outbox.id, id)))[0]?.status === 'sent', 60_000, 'the message to be sent');
    assert.ok(fs.existsSync(`${shop.runtime.config.mailDir}/${id}.eml`));
    await eventually(async () => (await job())?.state === 'completed', 30_000, 'the job to complete');
  });

  test('a queued message reaches the dev mailbox as one .eml file and is listed there', async () => {
    const id = await inTransaction(shop.database.db, (tx) =>
      queueMail({ clock: shop.clock, jobs: shop.runtime.jobs, sealer: shop.runtime.sealer }, tx, 'welcome-7', { to: 'grace@example.com', subject: 'Welcome to the shop', text: 'Hello Grace, see https://shop.example/account' }),
    );
    const file = `${shop.runtime.config.mailDir}/${id}.eml`;
    await eventually(async () => fs.existsSync(file), 20_000, 'the .eml file');
    const [row] = await eventually(async () => {
      const rows = await shop.database.db.select().from(outbox).where(eq(outbox.id, id!));
      return rows[0]?.status === 'sent' && rows;
    });
    assert.equal(row!.attempts, 1);
    const eml = fs.readFileSync(file, 'utf8');
    assert.match(eml, /^To: grace@example.com$/m);
    assert.match(eml, /^Message-ID: <[0-9a-f]{32}@/m);
    const list = await shop.app.inject('/dev/mailbox');
    assert.match(list.body, /Welcome to the shop/);
    const view = await shop.app.inject(`/dev/mailbox/${id}`);
    assert.equal(view.statusCode, 200);
    assert.match(view.body, /<a href="https:\/\/shop.example\/account">/);
    const raw = await shop.app.inject(`/dev/mailbox/${id}/raw`);
    assert.equal(raw.headers['content-type'], 'message/rfc822');
    assert.equal((await shop.app.inject('/dev/mailbox/not-a-uuid')).statusCode, 400);
    assert.equal((await shop.app.inject('/dev/mailbox/0b6f1f34-5d0e-4c1a-9a43-2f4c1e0d9a11')).statusCode, 404);
  });
});

forEachDatabase('health check', (kind) => {
  test('/healthz is 503 once the database stops answering', async () => {
    const shop = await startTestShop(kind, { seed: false });
    try {
      assert.equal((await shop.app.inject('/healthz')).statusCode, 200);
      await shop.database.close();
      const response = await shop.app.inject('/healthz');
      assert.equal(response.statusCode, 503);
      assert.deepEqual(response.json(), { status: 'unavailable' });
    } finally {
      await shop.stop().catch(() => undefined);
    }
  });
});
