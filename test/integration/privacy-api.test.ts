import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { z } from 'zod';
import { privacyExports } from '../../src/privacy/requests/schema.ts';
import { customers } from '../../src/shop/accounts/schema.ts';
import { prepareExport, privacyCenterContext } from '../../src/shop/privacy-center/service.ts';
import { customerDetails, paidOrder } from '../support/backoffice.ts';
import { CUSTOMER_PASSWORD, signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { codeFrom, mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// The privacy center's actions through the store API (/api/store/privacy/…): every answer matches the schema the
// OpenAPI document gives for it, and the rules are the privacy center's own (password, mailed code, single use).

type Json = Record<string, unknown>;
type Doc = { paths: Record<string, Record<string, { operationId: string; tags: string[]; responses: Record<string, { content?: Record<string, { schema: Json }>; $ref?: string }> }>>; components: { schemas: { Error: Json } } };

forEachDatabase('privacy store API', (kind) => {
  let shop: TestShop;
  let doc: Doc;
  before(async () => {
    shop = await startTestShop(kind);
    doc = (await shop.app.inject('/api/openapi.json')).json();
  });
  after(() => shop.stop());

  let client = 0;
  function call(method: InjectOptions['method'], url: string, options: { body?: unknown; token?: string } = {}) {
    return shop.app.inject({
      method,
      url: `/api/store${url}`,
      remoteAddress: `127.5.${Math.floor(++client / 250)}.${(client % 250) + 1}`,
      headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
      ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
    });
  }

  function documented(response: LightMyRequestResponse, method: string, path: string): Json {
    const operation = doc.paths[`/api/store${path}`]?.[method.toLowerCase()];
    assert.ok(operation, `${method} ${path} is in the document`);
    assert.deepEqual(operation.tags, ['Privacy']);
    const answer = operation.responses[String(response.statusCode)];
    assert.ok(answer, `${method} ${path} documents status ${response.statusCode}: ${response.body}`);
    const schema = answer.$ref ? doc.components.schemas.Error : answer.content!['application/json']!.schema;
    const checked = z.fromJSONSchema(schema as never).safeParse(response.json());
    assert.ok(checked.success, `${method} ${path} ${response.statusCode} matches its documented schema: ${checked.error?.message}`);
    return response.json();
  }

  const tokenOf = (cookie: string) => cookie.slice('pledge_session='.length);

  test('every privacy operation is in the OpenAPI document', () => {
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops)).filter((o) => o.tags.includes('Privacy')).map((o) => o.operationId).sort();
    assert.deepEqual(ids, ['eraseAccount', 'getCopyStatus', 'listPrivacyRequests', 'requestCopy', 'startGuestRequest', 'verifyGuestRequest']);
  });

  test('a customer asks for a copy, follows its status, and lists their requests; strangers see nothing', async () => {
    const me = await signedInCustomer(shop, 'Pia Norrell', 'pia@example.com');
    const token = tokenOf(me.cookie);
    assert.equal((await call('GET', '/privacy/requests')).statusCode, 401);
    assert.equal((await call('POST', '/privacy/copies')).statusCode, 401);

    const asked = await call('POST', '/privacy/copies', { token });
    assert.equal(asked.statusCode, 202);
    const { requestId } = documented(asked, 'POST', '/privacy/copies') as { requestId: string };
    const preparing = await call('GET', `/privacy/copies/${requestId}`, { token });
    assert.equal((documented(preparing, 'GET', '/privacy/copies/{id}') as { status: string }).status, 'preparing');

    const [file] = await shop.database.db.select().from(privacyExports).where(eq(privacyExports.requestId, requestId));
    await prepareExport(privacyCenterContext(shop.runtime), file!.id);
    const ready = documented(await call('GET', `/privacy/copies/${requestId}`, { token }), 'GET', '/privacy/copies/{id}') as { status: string; expiresAt: string };
    assert.equal(ready.status, 'ready');
    assert.equal(new Date(ready.expiresAt).getTime() - shop.clock.now().getTime(), 3 * 24 * 60 * 60 * 1000);
    assert.ok((await mailsTo(shop, 'pia@example.com')).some((m) => m.subject.includes('copy')), 'the link goes by e-mail');

    const listed = documented(await call('GET', '/privacy/requests', { token }), 'GET', '/privacy/requests') as { requests: { id: string; kind: string; status: string }[] };
    assert.deepEqual(listed.requests.map((r) => [r.id, r.kind, r.status]), [[requestId, 'access', 'completed']]);

    const other = await signedInCustomer(shop, 'Quinn Ode', 'quinn@example.com');
    const notTheirs = await call('GET', `/privacy/copies/${requestId}`, { token: tokenOf(other.cookie) });
    assert.equal(notTheirs.statusCode, 404);
    documented(notTheirs, 'GET', '/privacy/copies/{id}');
    assert.equal((await call('GET', '/privacy/copies/not-a-uuid', { token })).statusCode, 404);
  });

  test('erasure needs the password and the confirmation, answers what went and what is held, and ends the session', async () => {
    const me = await signedInCustomer(shop, 'Rhea Stone', 'rhea@example.com');
    const token = tokenOf(me.cookie);
    await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails('rhea@example.com'));
    const missing = await call('POST', '/privacy/erasure', { token, body: {} });
    assert.equal(missing.statusCode, 400);
    const fields = (documented(missing, 'POST', '/privacy/erasure') as { error: { fields: Record<string, string> } }).error.fields;
    assert.deepEqual(Object.keys(fields).sort(), ['confirm', 'password']);
    const wrong = await call('POST', '/privacy/erasure', { token, body: { password: 'not it', confirm: true } });
    assert.equal(wrong.statusCode, 400);
    assert.equal((wrong.json() as { error: { code: string } }).error.code, 'wrong_password');

    const erased = await call('POST', '/privacy/erasure', { token, body: { password: CUSTOMER_PASSWORD, confirm: true } });
    assert.equal(erased.statusCode, 200, erased.body);
    const outcome = documented(erased, 'POST', '/privacy/erasure') as { erased: { kind: string }[] };
    assert.ok(outcome.erased.some((e) => e.kind === 'account'));
    assert.equal((await shop.database.db.select().from(customers).where(eq(customers.id, me.customerId))).length, 0);
    assert.equal((await call('GET', '/privacy/requests', { token })).statusCode, 401, 'the session is gone with the account');
    assert.ok((await mailsTo(shop, 'rhea@example.com')).some((m) => m.subject.includes('has been deleted')));
  });

  test('a guest asks by e-mail, and the mailed code runs the request; an unknown address answers the same', async () => {
    const email = 'guest.api@example.com';
    await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails(email));
    const bad = await call('POST', '/privacy/guest-requests', { body: { email: 'nope', kind: 'delete' } });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(Object.keys((documented(bad, 'POST', '/privacy/guest-requests') as { error: { fields: object } }).error.fields).sort(), ['email', 'kind']);

    const started = await call('POST', '/privacy/guest-requests', { body: { email, kind: 'access' } });
    assert.equal(started.statusCode, 202);
    const { requestId, message } = documented(started, 'POST', '/privacy/guest-requests') as { requestId: string; message: string };
    const stranger = await call('POST', '/privacy/guest-requests', { body: { email: 'nobody.here@example.com', kind: 'access' } });
    assert.equal((stranger.json() as { message: string }).message, message, 'the same answer for an address with nothing held');

    const code = (await codeFrom(shop, email))!;
    const wrong = await call('POST', `/privacy/guest-requests/${requestId}/verification`, { body: { email, code: code === '000000' ? '111111' : '000000' } });
    assert.equal((documented(wrong, 'POST', '/privacy/guest-requests/{id}/verification') as { error: { code: string } }).error.code, 'wrong_code');
    const right = await call('POST', `/privacy/guest-requests/${requestId}/verification`, { body: { email, code } });
    assert.equal(right.statusCode, 200, right.body);
    const answer = documented(right, 'POST', '/privacy/guest-requests/{id}/verification') as { kind: string; downloadUrl: string };
    assert.equal(answer.kind, 'access');
    const page = await shop.app.inject(new URL(answer.downloadUrl).pathname);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Your copy is ready/);
    assert.equal((await call('POST', `/privacy/guest-requests/${requestId}/verification`, { body: { email, code } })).statusCode, 400, 'a code works once');
  });

  test('a guest’s erasure through the API answers what was deleted', async () => {
    const email = 'guest.erase.api@example.com';
    await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails(email));
    const { requestId } = (await call('POST', '/privacy/guest-requests', { body: { email, kind: 'erasure' } })).json() as { requestId: string };
    const code = (await codeFrom(shop, email))!;
    const done = await call('POST', `/privacy/guest-requests/${requestId}/verification`, { body: { email, code } });
    const outcome = documented(done, 'POST', '/privacy/guest-requests/{id}/verification') as { kind: string; held: { kind: string }[] };
    assert.equal(outcome.kind, 'erasure');
    assert.deepEqual(outcome.held.map((h) => h.kind), ['order'], 'the paid order is held for its legal term');
  });
});
