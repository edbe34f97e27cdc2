import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { privacyExports, privacyRequests } from '../../src/privacy/requests/schema.ts';
import { addItem } from '../../src/shop/cart/service.ts';
import { placeOrder } from '../../src/shop/checkout/service.ts';
import { prepareExport, privacyCenterContext } from '../../src/shop/privacy-center/service.ts';
import { CUSTOMER_PASSWORD, signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, linkFrom, mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// The privacy center's pages: a customer's copy through its single-use link, erasure behind the password, and a
// guest's request verified by the code mailed to their address, told the same for an unknown address.

forEachDatabase('privacy center pages', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind);
  });
  after(() => shop.stop());

  let client = 0;
  async function post(url: string, payload: Record<string, string>, cookie?: string) {
    const csrf = await csrfFor(shop.app, '/privacy-center');
    return shop.app.inject({
      method: 'POST',
      url,
      remoteAddress: `127.7.${Math.floor(++client / 250)}.${(client % 250) + 1}`,
      headers: { cookie: [csrf.cookie, cookie].filter(Boolean).join('; ') },
      payload: { ...payload, _csrf: csrf.token },
    });
  }
  const marker = () => randomBytes(4).toString('hex');

  async function guestOrder(email: string, name: string) {
    const ctx = privacyCenterContext(shop.runtime);
    const added = await addItem(ctx, { visitorToken: undefined }, { slug: 'gentle-oat-cleanser', quantity: 1 });
    assert.ok(added.ok);
    const placed = await placeOrder(
      ctx,
      { visitorToken: added.visitorToken },
      { email, address: { recipientName: name, line1: '1 Elm St', line2: undefined, city: 'Springfield', region: 'IL', postcode: '62701', country: 'US', phone: undefined }, shippingOption: 'standard' },
      { checkoutKey: randomUUID() },
    );
    assert.ok(placed.ok);
  }

  test('a customer asks for a copy, opens it once as a page, and the link is spent', async () => {
    const name = `Ines Hartwell ${marker()}`;
    const me = await signedInCustomer(shop, name, `ines.${marker()}@example.com`);
    const center = await shop.app.inject({ url: '/privacy-center', headers: { cookie: me.cookie } });
    assert.equal(center.statusCode, 200);
    assert.match(center.body, /Get a copy of your data/);
    assert.match(center.body, /Delete your account/);
    assert.match((await shop.app.inject({ url: '/account', headers: { cookie: me.cookie } })).body, /href="\/privacy-center"/);

    const asked = await post('/privacy-center/copy', {}, me.cookie);
    assert.equal(asked.statusCode, 303);
    assert.equal(asked.headers.location, '/privacy-center?done=copy');
    const [request] = await shop.database.db.select().from(privacyRequests).where(eq(privacyRequests.customerId, me.customerId));
    assert.equal(request!.kind, 'access');
    const [pending] = await shop.database.db.select().from(privacyExports).where(eq(privacyExports.requestId, request!.id));
    await prepareExport(privacyCenterContext(shop.runtime), pending!.id);

    const link = await linkFrom(shop, me.email, /\/privacy-center\/copy\//);
    const offer = await shop.app.inject({ url: link });
    assert.equal(offer.statusCode, 200);
    const shown = await post(link, { format: 'html' });
    assert.equal(shown.statusCode, 200);
    assert.match(shown.body, new RegExp(name));
    assert.equal(shown.headers['cache-control'], 'no-store');
    assert.equal((await post(link, { format: 'json' })).statusCode, 410);
    assert.equal((await shop.app.inject({ url: link })).statusCode, 410);
  });

  test('erasing the account needs the password and the tick, signs out and says what is kept', async () => {
    const email = `jonah.${marker()}@example.com`;
    const me = await signedInCustomer(shop, `Jonah Pell ${marker()}`, email);
    await guestOrder(email, 'Jonah Pell');
    const missing = await post('/privacy-center/erase', { password: CUSTOMER_PASSWORD }, me.cookie);
    assert.equal(missing.statusCode, 400);
    assert.match(missing.body, /Tick the box to confirm/);
    const wrong = await post('/privacy-center/erase', { password: 'guess', confirm: 'yes' }, me.cookie);
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /That is not your password/);

    const erased = await post('/privacy-center/erase', { password: CUSTOMER_PASSWORD, confirm: 'yes' }, me.cookie);
    assert.equal(erased.statusCode, 200);
    assert.match(erased.body, /Kept because the law requires it/);
    assert.ok(erased.cookies.some((c) => c.name === 'pledge_session' && c.value === ''));
    assert.equal((await shop.app.inject({ url: '/account', headers: { cookie: me.cookie } })).statusCode, 303);
    const letter = (await mailsTo(shop, email)).find((m) => m.subject.includes('has been deleted'));
    assert.match(letter!.text, /Your orders[^\n]*\(1\), until/);
  });

  test('a guest gets a code by e-mail; a wrong code does nothing, the right one erases; an unknown address is answered alike', async () => {
    const email = `kit.${marker()}@example.com`;
    await guestOrder(email, 'Kit Moran');
    const known = await post('/privacy-center/guest', { email, kind: 'erasure' });
    const unknown = await post('/privacy-center/guest', { email: `nobody.${marker()}@example.com`, kind: 'erasure' });
    assert.equal(known.statusCode, 200);
    assert.equal(unknown.statusCode, 200);
    const strip = (body: string) => body.replace(/[0-9a-f-]{36}/g, 'ID').replace(/value="[^"]*"/g, 'value=""');
    assert.equal(strip(known.body), strip(unknown.body));

    const action = /action="(\/privacy-center\/guest\/[^"]+)"/.exec(known.body)![1]!;
    const code = /code is (\d{6})/.exec((await mailsTo(shop, email)).at(-1)!.text)![1]!;
    const wrongCode = code === '000000' ? '111111' : '000000';
    const refused = await post(action, { email, code: wrongCode });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /That code is not right/);

    const done = await post(action, { email, code });
    assert.equal(done.statusCode, 200);
    assert.match(done.body, /Your data has been deleted/);
    assert.match(done.body, /Your orders[^<]*\(1\), until/);
    assert.equal((await post(action, { email, code })).statusCode, 400, 'the code works once');
  });

  test('a guest asking for a copy is taken to it once the code is right', async () => {
    const email = `lou.${marker()}@example.com`;
    await guestOrder(email, 'Lou Brand');
    const asked = await post('/privacy-center/guest', { email, kind: 'access' });
    const action = /action="(\/privacy-center\/guest\/[^"]+)"/.exec(asked.body)![1]!;
    const code = /code is (\d{6})/.exec((await mailsTo(shop, email)).at(-1)!.text)![1]!;
    const verified = await post(action, { email, code });
    assert.equal(verified.statusCode, 303);
    const copy = await post(verified.headers.location as string, { format: 'json' });
    assert.equal(copy.statusCode, 200);
    const document = JSON.parse(copy.body) as { units: { kind: string; data: { recipientName?: string } }[] };
    assert.deepEqual(document.units.filter((u) => u.kind === 'order').map((u) => u.data.recipientName), ['Lou Brand']);
    const [request] = await shop.database.db.select().from(privacyRequests).where(eq(privacyRequests.id, action.split('/').at(-1)!));
    assert.equal(request!.status, 'completed');
    assert.equal(request!.emailIndex, null, 'the answered request forgets the address');
  });
});
