import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { consentRecords } from '../../src/privacy/consent/schema.ts';
import { consentHistory, MARKETING_EMAIL_REVISION, marketingAllowed } from '../../src/privacy/consent/service.ts';
import { subjectDocument } from '../../src/privacy/requests/service.ts';
import { customers } from '../../src/shop/accounts/schema.ts';
import { queueMarketingMail } from '../../src/shop/privacy-center/marketing.ts';
import { eraseAccount, privacyCenterContext } from '../../src/shop/privacy-center/service.ts';
import { signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// The marketing e-mail switch in the privacy center: off until the customer ticks it, each change a consent
// record sealed under the account's consent unit, and no marketing message queued while it is off.

forEachDatabase('privacy center marketing switch', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind);
  });
  after(() => shop.stop());

  let client = 0;
  async function post(url: string, payload: Record<string, string>, cookie: string) {
    const csrf = await csrfFor(shop.app, '/privacy-center');
    return shop.app.inject({
      method: 'POST',
      url,
      remoteAddress: `127.9.${Math.floor(++client / 250)}.${(client % 250) + 1}`,
      headers: { cookie: [csrf.cookie, cookie].join('; ') },
      payload: { ...payload, _csrf: csrf.token },
    });
  }
  const newsletter = { key: 'winter-2026', subject: 'Winter offers', text: 'Our winter creams are here.' };

  test('off by default: nothing is sent until the customer opts in, and off again stops it', async () => {
    const me = await signedInCustomer(shop, 'Lena Frost', 'lena@example.com');
    const ctx = privacyCenterContext(shop.runtime);
    const center = await shop.app.inject({ url: '/privacy-center', headers: { cookie: me.cookie } });
    assert.match(center.body, /<input type="checkbox" name="marketing" value="yes"> Send me marketing e-mail/, 'unticked');
    assert.equal(await marketingAllowed(ctx, me.customerId), false);
    assert.equal(await queueMarketingMail(ctx, me.customerId, newsletter), 'no_consent');

    assert.equal((await post('/privacy-center/marketing', { marketing: 'maybe' }, me.cookie)).statusCode, 400);
    const on = await post('/privacy-center/marketing', { marketing: 'yes' }, me.cookie);
    assert.equal(on.statusCode, 303);
    assert.equal(on.headers.location, '/privacy-center?done=marketing_on');
    const shown = await shop.app.inject({ url: '/privacy-center?done=marketing_on', headers: { cookie: me.cookie } });
    assert.match(shown.body, /name="marketing" value="yes" checked/);
    assert.match(shown.body, /Marketing e-mail is on/);
    assert.equal(await queueMarketingMail(ctx, me.customerId, newsletter), 'queued');
    const [sent] = (await mailsTo(shop, 'lena@example.com')).filter((m) => m.subject === 'Winter offers');
    assert.ok(sent);
    assert.match(sent.text, /Switch it off at any time in your privacy center/);

    assert.equal((await post('/privacy-center/marketing', {}, me.cookie)).headers.location, '/privacy-center?done=marketing_off');
    assert.equal(await marketingAllowed(ctx, me.customerId), false);
    assert.equal(await queueMarketingMail(ctx, me.customerId, { ...newsletter, key: 'spring-2027' }), 'no_consent');

    const records = await shop.database.db.select().from(consentRecords).where(eq(consentRecords.customerId, me.customerId));
    assert.deepEqual(records.map((r) => r.policyRevision), [MARKETING_EMAIL_REVISION, MARKETING_EMAIL_REVISION], 'each change recorded');
    assert.equal(new Set(records.map((r) => r.unitId)).size, 1, 'under one unit for the account');
    assert.ok(records.every((r) => !r.choice.toString('latin1').includes('subscribed')), 'the choice is sealed');
    assert.deepEqual(await consentHistory(ctx, { customerId: me.customerId }), [], 'not shown among cookie choices');
  });

  test('the switch is in the copy, and goes with the account on erasure', async () => {
    const me = await signedInCustomer(shop, 'Moss Hale', 'moss@example.com');
    const ctx = privacyCenterContext(shop.runtime);
    await post('/privacy-center/marketing', { marketing: 'yes' }, me.cookie);
    const [account] = await shop.database.db.select({ emailIndex: customers.emailIndex }).from(customers).where(eq(customers.id, me.customerId));
    const copy = await subjectDocument(ctx, { customerId: me.customerId, emailIndex: account!.emailIndex });
    const consent = copy.units.find((u) => u.kind === 'consent_record');
    assert.ok(consent);
    assert.match(JSON.stringify(consent.data), /"policyRevision":"marketing-email\/1".*"subscribed":true/);

    assert.ok((await eraseAccount(ctx, me.customerId, 'a long enough password')).ok);
    assert.equal((await shop.database.db.select().from(consentRecords).where(eq(consentRecords.unitId, consent.unitId))).length, 0);
    assert.equal(await marketingAllowed(ctx, me.customerId), false);
    assert.equal(await queueMarketingMail(ctx, me.customerId, newsletter), 'no_consent');
  });
});
