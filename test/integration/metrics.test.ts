import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { conformanceRuns } from '../../src/privacy/conformance/schema.ts';
import { sweepExpired } from '../../src/privacy/retention/sweep.ts';
import { privacyCenterContext, requestCopy } from '../../src/shop/privacy-center/service.ts';
import { retentionContext } from '../../src/shop/privacy-center/retention.ts';
import { signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { startTestShop, type TestShop } from '../support/shop.ts';

// /metrics in Prometheus's text format, behind PLEDGE_METRICS_TOKEN: request counts and latencies by route pattern,
// jobs, outbox, the privacy backlog, the last sweep and conformance run; never anyone's data in a label.

const TOKEN = 'm'.repeat(40);

forEachDatabase('metrics', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind, { env: { PLEDGE_METRICS_TOKEN: TOKEN } });
  });
  after(() => shop.stop());

  test('no token configured, no route', async () => {
    const plain = await startTestShop(kind);
    try {
      assert.equal((await plain.app.inject('/metrics')).statusCode, 404);
    } finally {
      await plain.stop();
    }
  });

  test('a scrape needs the token', async () => {
    const none = await shop.app.inject('/metrics');
    assert.equal(none.statusCode, 401);
    assert.match(String(none.headers['www-authenticate']), /^Bearer/);
    assert.equal((await shop.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${'x'.repeat(40)}` } })).statusCode, 401);
  });

  test('the shop’s figures, by route pattern and kind, with no personal data', async () => {
    const me = await signedInCustomer(shop, 'Mila Metrics', 'mila.metrics@example.com');
    await requestCopy(privacyCenterContext(shop.runtime), me.customerId);
    await sweepExpired(retentionContext(shop.runtime), { trigger: 'cli' });
    await shop.database.db.insert(conformanceRuns).values({
      ranAt: shop.clock.now(),
      trigger: 'cli',
      passed: 30,
      failed: 1,
      results: [{ clause: '000-7', topic: 'requests', promise: 'answered in time', passed: false, evidence: ['request ids only'] }],
    });
    assert.equal((await shop.app.inject('/')).statusCode, 200);
    assert.equal((await shop.app.inject({ url: '/account', headers: { cookie: me.cookie } })).statusCode, 200);
    assert.equal((await shop.app.inject(`/find/${me.email}`)).statusCode, 404);

    const scrape = await shop.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(scrape.statusCode, 200);
    assert.match(String(scrape.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const body = scrape.body;
    assert.match(body, /^# TYPE pledge_http_requests_total counter$/m);
    assert.match(body, /^pledge_http_requests_total\{method="GET",route="\/",status="200"\} [1-9]\d*$/m);
    assert.match(body, /^pledge_http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
    assert.match(body, /^pledge_http_request_duration_seconds_bucket\{method="GET",route="\/account",le="\+Inf"\} 1$/m);
    assert.match(body, /^pledge_http_request_duration_seconds_count\{method="GET",route="\/account\/verify\/:token"\} 1$/m, 'patterns, not the token');
    assert.match(body, /^pledge_jobs\{queue="[a-z.-]+",state="[a-z]+"\} \d+$/m);
    assert.match(body, /^# TYPE pledge_outbox_messages gauge$/m);
    assert.match(body, /^pledge_outbox_oldest_pending_seconds \d/m);
    assert.match(body, /^pledge_dsr_open\{kind="access",status="[a-z_]+"\} 1$/m);
    assert.match(body, /^pledge_dsr_days_to_nearest_due \d+(\.\d+)?$/m);
    assert.match(body, /^pledge_retention_sweep_last_status\{status="finished"\} 1$/m);
    assert.match(body, /^pledge_retention_sweep_last_count\{kind="[a-z_]+"\} \d+$/m);
    assert.match(body, /^pledge_conformance_failed 1$/m);
    assert.match(body, /^pledge_conformance_clause_failed\{clause="000-7"\} 1$/m);
    assert.doesNotMatch(body, /mila\.metrics|Mila Metrics|example\.com/i, 'no name or address anywhere');
    assert.doesNotMatch(body, /verify\/[A-Za-z0-9_-]{16,}/, 'no token from a verification link');
  });
});
