import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { testClock } from '../../src/platform/clock.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { CATEGORIES, PROCESSORS } from '../../src/privacy/inventory.ts';
import { liveFacts } from '../../src/privacy/policy/facts.ts';
import { policyAcceptances, policyVersions } from '../../src/privacy/policy/schema.ts';
import { ensureFirstVersion, policyDrift, sendNoticeBatch, versionInForce } from '../../src/privacy/policy/service.ts';
import { customers as customerAccounts } from '../../src/shop/accounts/schema.ts';
import { signIn } from '../../src/shop/accounts/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { signedInStaff, type StaffClient } from '../support/backoffice.ts';
import { CUSTOMER_PASSWORD, signedInCustomer } from '../support/customers.ts';
import { forEachDatabase, freshDatabase, type TestDatabase } from '../support/databases.ts';
import { eventually, mailsTo, startTestShop, testEnv, type TestShop } from '../support/shop.ts';

// The privacy policy as data (seed 000 §9, 000 §10, 003): the page is the prose of the version in force plus the
// facts the code runs on; versions have redlines; a minor version is in force at once but may not change the facts
// that matter; a significant one is mailed to every customer, announced on every page and in force on its date, and
// a customer's next signed-in request after that records their acceptance.

const CONTACT = { PLEDGE_CONTACT_EMAIL: 'dpo@pledge.test', PLEDGE_CONTACT_PHONE: '+1 555 0199' };
const PAGE = { accept: 'text/html' };

/** The draft form's fields for `sections`, with `edit` applied to the prose of one of them. */
function draftFields(sections: { id: string; heading: string; prose: string }[], summary: string, edit: { id: string; from: string; to: string } | undefined) {
  const fields: Record<string, string> = { summary };
  for (const s of sections) {
    fields[`heading_${s.id}`] = s.heading;
    // As a browser sends a textarea: line breaks as CRLF.
    fields[`prose_${s.id}`] = (edit?.id === s.id ? s.prose.replace(edit.from, edit.to) : s.prose).replaceAll('\n', '\r\n');
  }
  return fields;
}

const revisionOf = (body: string) => /name="revision" value="(\d+)"/.exec(body)?.[1] ?? assert.fail('no revision on the preview');

forEachDatabase('privacy policy', (kind) => {
  let shop: TestShop;
  let officer: StaffClient;
  before(async () => {
    shop = await startTestShop(kind, { env: { PLEDGE_FORM_RATE_LIMIT: '100000', ...CONTACT } });
    officer = await signedInStaff(shop, ['privacy_officer']);
  });
  after(() => shop.stop());

  test('/privacy shows the version in force with the categories, processors and their fields, retention, cookies and the configured contact', async () => {
    const response = await shop.app.inject({ url: '/privacy', headers: PAGE });
    assert.equal(response.statusCode, 200);
    const body = response.body;
    assert.match(body, /Privacy policy of Pledge Cosmetics/);
    assert.match(body, /Version 1, in effect since 5 January 2026/);
    for (const c of Object.values(CATEGORIES)) assert.ok(body.includes(c.label), c.label);
    assert.match(body, /Biometric data/, 'what is never collected');
    for (const p of Object.values(PROCESSORS)) assert.ok(body.includes(p.label), p.label);
    assert.match(body, /<td>Logistics provider \(TestShip\)<\/td><td>recipient name, shipping address, phone, parcel contents, parcel weight grams<\/td>/);
    assert.match(body, /<td>Payment provider \(TestPay\)<\/td><td>order id, amount cents, currency, card token<\/td>/);
    assert.match(body, /<td>An order, its lines, payment token and delivery data<\/td><td>3 years, for after-sales service/);
    assert.match(body, /<td>A customer-service ticket and its messages<\/td><td>12 months, for [^<]*<\/td><td>24 months after the ticket being closed<\/td>/);
    assert.match(body, /<code>pledge_session<\/code>/);
    assert.match(body, /<code>pledge_recent<\/code><\/td><td>Shopping experience<\/td>/);
    assert.match(body, /within 7 business days, and at the latest within 15 business days/);
    assert.match(body, /href="mailto:dpo@pledge\.test">dpo@pledge\.test<\/a>/);
    assert.match(body, /\+1 555 0199/);
    assert.doesNotMatch(body, /beturet|365-2108|itcosmetics/i, 'never the seeds’ contacts');
    for (const link of ['/privacy-center', '/privacy/cookies', '/contact', '/privacy/versions']) assert.ok(body.includes(`href="${link}"`), link);
    // Seed 003: who it applies to, never sold, only authorised staff; seed 000 §9: continued use is acceptance.
    assert.match(body, /visitors who browse, registered users with an account, and customers who buy from us/);
    assert.match(body, /never sell/);
    assert.match(body, /Only authorised members of staff/);
    assert.match(body, /continue to use the website after that date, you accept the updated policy/);
    // Each block of facts sits under its own section.
    const at = (text: string) => body.indexOf(text);
    assert.ok(at('id="collection"') < at('Delivery address') && at('Delivery address') < at('id="use"'));
    assert.ok(at('id="sharing"') < at('Logistics provider') && at('Logistics provider') < at('id="retention"'));
    assert.ok(at('id="cookies"') < at('<code>pledge_cart</code>') && at('<code>pledge_cart</code>') < at('id="minors"'));
    assert.ok(at('id="contact"') < at('dpo@pledge.test'));
    assert.deepEqual(await policyDrift(shopContext(shop.runtime), liveFacts(shop.runtime.config, 30)), [], 'the published policy matches the inventory');
  });

  test('the editor is the privacy officer’s: visitors are sent to sign in, other staff get 403', async () => {
    assert.equal((await shop.app.inject({ url: '/admin/policy' })).statusCode, 303);
    assert.equal((await shop.app.inject({ url: '/admin/policy' })).headers.location, '/admin/login');
    const support = await signedInStaff(shop, ['support', 'admin']);
    assert.equal((await support.get('/admin/policy')).statusCode, 403);
    assert.equal((await support.post('/admin/policy/draft', { summary: 'x' })).statusCode, 403);
    assert.equal((await support.post('/admin/policy/publish', { kind: 'minor', revision: '1' })).statusCode, 403);
    const editor = await officer.get('/admin/policy');
    assert.equal(editor.statusCode, 200);
    assert.match(editor.body, /The live facts match version 1/);
    assert.match((await officer.get('/admin')).body, /href="\/admin\/policy"/);
    assert.equal((await shop.app.inject({ url: '/privacy/versions' })).statusCode, 200, 'the versions are public');
  });

  test('a draft with a missing heading comes back with the message beside it and the text kept, and saves nothing', async () => {
    const v1 = (await versionInForce(shopContext(shop.runtime)))!;
    const fields = draftFields(v1.sections, 'Kept summary', undefined);
    fields.heading_overview = '  ';
    const response = await officer.post('/admin/policy/draft', fields);
    assert.equal(response.statusCode, 422);
    assert.match(response.body, /<span class="error" id="f-heading_overview-error">Give the section a heading<\/span>/);
    assert.match(response.body, /Kept summary/);
    assert.equal((await officer.get('/admin/policy/preview')).statusCode, 303, 'no draft was saved');
  });

  test('a minor version takes effect at once, is listed, and shows its redline against version 1', async () => {
    const v1 = (await versionInForce(shopContext(shop.runtime)))!;
    const saved = await officer.post('/admin/policy/draft', draftFields(v1.sections, 'Clearer wording about selling.', { id: 'overview', from: 'We never sell it,', to: 'We never sell or rent it,' }));
    assert.equal(saved.statusCode, 303);
    assert.equal(saved.headers.location, '/admin/policy/preview');
    const preview = await officer.get('/admin/policy/preview');
    assert.equal(preview.statusCode, 200);
    assert.match(preview.body, /<ins><span class="visually-hidden">\[added: <\/span>or rent <span class="visually-hidden">\]<\/span><\/ins>/);
    const published = await officer.post('/admin/policy/publish', { kind: 'minor', revision: revisionOf(preview.body), effectiveOn: '' });
    assert.equal(published.statusCode, 303);
    assert.equal(published.headers.location, '/admin/policy?published=2');

    const page = await shop.app.inject({ url: '/privacy', headers: PAGE });
    assert.match(page.body, /Version 2, in effect since 5 January 2026/);
    assert.match(page.body, /We never sell or rent it/);
    const list = await shop.app.inject({ url: '/privacy/versions', headers: PAGE });
    assert.match(list.body, /<a href="\/privacy\/versions\/2">Version 2<\/a> <strong>\(in force\)<\/strong><\/td><td>Minor<\/td><td>5 January 2026<\/td><td>5 January 2026<\/td><td>Clearer wording about selling\.<\/td>/);
    assert.match(list.body, /<a href="\/privacy\/versions\/1">Version 1<\/a><\/td>/);
    const redline = await shop.app.inject({ url: '/privacy/versions/2', headers: PAGE });
    assert.match(redline.body, /What changed from version 1/);
    assert.match(redline.body, /<ins><span class="visually-hidden">\[added: <\/span>or rent/);
    assert.match(redline.body, /The facts — [^<]* — are unchanged/);
    assert.equal(redline.body.match(/class="redline-section"/g)?.length, 1, 'only the section that changed');
    assert.match((await shop.app.inject({ url: '/privacy/versions/1', headers: PAGE })).body, /This is the first version/);
    assert.equal((await shop.app.inject({ url: '/privacy/versions/9', headers: PAGE })).statusCode, 404);
    assert.equal((await shop.app.inject({ url: '/privacy/versions/two', headers: PAGE })).statusCode, 404);
    assert.doesNotMatch((await shop.app.inject({ url: '/', headers: PAGE })).body, /policy-notice/, 'a minor change is not announced');
  });

  test('publishing a preview that is no longer the draft is refused and writes nothing', async () => {
    const v2 = (await versionInForce(shopContext(shop.runtime)))!;
    await officer.post('/admin/policy/draft', draftFields(v2.sections, 'A typo.', { id: 'contact', from: 'contact our', to: 'write to our' }));
    const revision = revisionOf((await officer.get('/admin/policy/preview')).body);
    const refused = await officer.post('/admin/policy/publish', { kind: 'minor', revision: String(Number(revision) + 1) });
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /The draft changed since this preview was shown/);
    const bad = await officer.post('/admin/policy/publish', { kind: 'sometimes', revision });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /Choose minor or significant/);
    assert.equal((await shop.database.db.select().from(policyVersions)).length, 2);
    assert.equal((await officer.post('/admin/policy/draft/discard')).statusCode, 303);
    const gone = await officer.post('/admin/policy/publish', { kind: 'minor', revision });
    assert.equal(gone.statusCode, 409);
    assert.match(gone.body, /<h1>Privacy policy<\/h1>[^]*The draft changed since this preview was shown \(or was published\)/, 'the editor says why');
    assert.equal((await shop.database.db.select().from(policyVersions)).length, 2);
  });

  describe('when the code’s facts change (PLEDGE_RETENTION)', () => {
    let database: TestDatabase;
    let changed: TestShop;
    let changedOfficer: StaffClient;
    before(async () => {
      // Version 1 published under the default rules; then the shop starts with tickets kept 18 months at most.
      database = await freshDatabase(kind);
      await ensureFirstVersion({ db: database.db, clock: testClock() }, 'Pledge Cosmetics', liveFacts(loadConfig(testEnv('/tmp', CONTACT)), 30));
      changed = await startTestShop(kind, { database, work: true, env: { PLEDGE_FORM_RATE_LIMIT: '100000', PLEDGE_RETENTION: 'ticket.max=18mo', ...CONTACT } });
      changedOfficer = await signedInStaff(changed, ['privacy_officer']);
    });
    after(async () => {
      await changed.stop();
      await database.drop();
    });

    test('the policy page shows the live retention, and the editor asks for a significant version', async () => {
      const page = await changed.app.inject({ url: '/privacy', headers: PAGE });
      assert.match(page.body, /<td>A customer-service ticket and its messages<\/td><td>12 months, for [^<]*<\/td><td>18 months after the ticket being closed<\/td>/);
      const before = await shop.app.inject({ url: '/privacy', headers: PAGE });
      assert.match(before.body, /<td>24 months after the ticket being closed<\/td>/, 'the shop with the default rules');
      const drift = await policyDrift(shopContext(changed.runtime), liveFacts(changed.runtime.config, 30));
      assert.deepEqual(drift.map((d) => [d.topic, d.key]), [['retention', 'ticket']]);
      assert.match(drift[0]!.after!, /gone 18 months after/);
      const editor = await changedOfficer.get('/admin/policy');
      assert.match(editor.body, /The live facts differ from version 1[^<]*publish a significant version/);
    });

    test('a minor version is refused beside its field; a significant one is mailed to every customer, announced, in force on its date and accepted', async () => {
      const ctx = shopContext(changed.runtime);
      const customers = await Promise.all(['ada', 'alan'].map((name) => signedInCustomer(changed, name, `${name}.${randomUUID().slice(0, 6)}@example.com`)));
      const v1 = (await versionInForce(ctx))!;
      await changedOfficer.post('/admin/policy/draft', draftFields(v1.sections, 'Support tickets are now deleted 18 months after they close.', undefined));
      const preview = await changedOfficer.get('/admin/policy/preview');
      assert.match(preview.body, /This draft changes how long it is kept: it can only be significant/);
      assert.match(preview.body, /The text of the sections is unchanged/);
      assert.match(preview.body, /<del><span class="visually-hidden">\[removed: <\/span>24<span class="visually-hidden">\]<\/span><\/del><ins><span class="visually-hidden">\[added: <\/span>18/);
      const revision = revisionOf(preview.body);

      const minor = await changedOfficer.post('/admin/policy/publish', { kind: 'minor', revision });
      assert.equal(minor.statusCode, 422);
      assert.match(minor.body, /<span class="error" id="f-kind-error">This cannot be a minor version: how long it is kept changed since version 1\. Publish it as significant, announced 30 days ahead\.<\/span>/);
      const early = await changedOfficer.post('/admin/policy/publish', { kind: 'significant', revision, effectiveOn: '2026-02-04' });
      assert.equal(early.statusCode, 422);
      assert.match(early.body, /<span class="error" id="f-effectiveOn-error">Customers are told 30 days ahead: choose 5 February 2026 or later<\/span>/);
      assert.match(early.body, /value="2026-02-04"/, 'the date typed is kept');
      assert.equal((await changed.database.db.select().from(policyVersions)).length, 1, 'nothing written');

      assert.doesNotMatch((await changed.app.inject({ url: '/', headers: PAGE })).body, /policy-notice/, 'the home page, cached before the change');
      const published = await changedOfficer.post('/admin/policy/publish', { kind: 'significant', revision, effectiveOn: '2026-02-05' });
      assert.equal(published.statusCode, 303);
      for (const customer of customers) {
        const [notice] = await eventually(async () => {
          const mails = (await mailsTo(changed, customer.email)).filter((m) => m.subject.includes('privacy policy changes'));
          return mails.length > 0 && mails;
        }, 30_000, `the notice to ${customer.email}`);
        assert.equal(notice!.subject, 'Pledge Cosmetics: our privacy policy changes on 5 February 2026');
        assert.match(notice!.text, /Support tickets are now deleted 18 months after they close\./);
        assert.match(notice!.text, /\/privacy\/versions\/2/);
      }
      // A batch run again (a retried job) mails nobody twice.
      const units = new Map((await changed.database.db.select({ id: customerAccounts.id, unitId: customerAccounts.unitId }).from(customerAccounts)).map((a) => [a.id, a.unitId]));
      const again = customers.map((c) => ({ customerId: c.customerId, unitId: units.get(c.customerId)!, email: c.email }));
      assert.equal(await sendNoticeBatch(ctx, async () => ({ recipients: again, next: undefined }), { version: 2 }), 2);
      for (const customer of customers) assert.equal((await mailsTo(changed, customer.email)).filter((m) => m.subject.includes('privacy policy changes')).length, 1);

      // Before the date: version 1 in force, the banner on every page (cached catalogue pages too), no acceptance.
      for (const url of ['/', '/products/gentle-oat-cleanser', '/cart', '/privacy']) {
        const page = await changed.app.inject({ url, headers: PAGE });
        assert.match(page.body, /class="notice policy-notice"[^]*Our privacy policy changes on 5 February 2026[^]*href="\/privacy\/versions\/2"/, url);
      }
      assert.match((await changed.app.inject({ url: '/privacy', headers: PAGE })).body, /Version 1, in effect since/);
      await changed.app.inject({ url: '/account', headers: { ...PAGE, cookie: customers[0]!.cookie } });
      const acceptedV2 = (customerId: string) =>
        changed.database.db.select().from(policyAcceptances).where(and(eq(policyAcceptances.customerId, customerId), eq(policyAcceptances.version, 2)));
      assert.deepEqual(await acceptedV2(customers[0]!.customerId), []);
      const refusedWhilePending = await changedOfficer.post('/admin/policy/draft', draftFields(v1.sections, 'Another change.', { id: 'contact', from: 'contact our', to: 'write to our' }));
      assert.equal(refusedWhilePending.statusCode, 303);
      const pending = await changedOfficer.post('/admin/policy/publish', { kind: 'minor', revision: revisionOf((await changedOfficer.get('/admin/policy/preview')).body) });
      assert.equal(pending.statusCode, 409);
      assert.match(pending.body, /Version 2 takes effect on 5 February 2026/);

      // On the date: version 2 in force, no banner, and the customer's next signed-in request is their acceptance.
      changed.clock.set('2026-02-05T00:00:00Z');
      const home = await changed.app.inject({ url: '/', headers: PAGE });
      assert.doesNotMatch(home.body, /policy-notice/);
      assert.match((await changed.app.inject({ url: '/privacy', headers: PAGE })).body, /Version 2, in effect since 5 February 2026/);
      const session = await signIn(ctx, { email: customers[0]!.email, password: CUSTOMER_PASSWORD });
      assert.ok(session.ok);
      const cookie = `pledge_session=${session.token}`;
      await changed.app.inject({ url: '/', headers: { ...PAGE, cookie } });
      await changed.app.inject({ url: '/account', headers: { ...PAGE, cookie } });
      const accepted = await acceptedV2(customers[0]!.customerId);
      assert.equal(accepted.length, 1, 'recorded once');
      assert.equal(accepted[0]!.acceptedAt.toISOString(), '2026-02-05T00:00:00.000Z');
      assert.deepEqual(await acceptedV2(customers[1]!.customerId), [], 'not for a customer who has not been back');
      assert.deepEqual(await policyDrift(ctx, liveFacts(changed.runtime.config, 30)), [], 'the policy in force matches the code again');
    });
  });
});
