import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachDatabase } from '../support/databases.ts';
import { startTestShop, type TestShop } from '../support/shop.ts';

// Behind a reverse proxy every request comes from the proxy's address. With PLEDGE_TRUST_PROXY=true the client's
// own address, which the rate limits and the analytics' daily visitor key use (request.ip), comes from the
// X-Forwarded-For the proxy sets; without it that header is anyone's to forge and is ignored.

const LIMIT = 3;
const PROXY = '10.0.0.2';

forEachDatabase('the client address behind a reverse proxy', (kind) => {
  const shops: Record<'trusting' | 'direct', TestShop | undefined> = { trusting: undefined, direct: undefined };
  before(async () => {
    shops.trusting = await startTestShop(kind, { seed: false, env: { PLEDGE_TRUST_PROXY: 'true', PLEDGE_FORM_RATE_LIMIT: String(LIMIT) } });
    shops.direct = await startTestShop(kind, { seed: false, env: { PLEDGE_FORM_RATE_LIMIT: String(LIMIT) } });
  });
  after(async () => {
    await shops.trusting?.stop();
    await shops.direct?.stop();
  });

  /** The statuses of `count` form posts from the proxy's address, each saying it forwards `client`. */
  const posts = async (shop: TestShop, client: string, count: number) => {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) {
      const response = await shop.app.inject({ method: 'POST', url: '/cart/items/no-such-product', remoteAddress: PROXY, headers: { 'x-forwarded-for': client, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'quantity=1' });
      statuses.push(response.statusCode);
    }
    return statuses;
  };

  test('trusting the proxy, each client the proxy names has a rate limit of its own', async () => {
    const first = await posts(shops.trusting!, '198.51.100.1', LIMIT + 1);
    assert.ok(first.slice(0, LIMIT).every((s) => s !== 429), `within the limit: ${first}`);
    assert.equal(first.at(-1), 429, 'the first client is over its limit');
    const second = await posts(shops.trusting!, '198.51.100.2', 1);
    assert.notEqual(second[0], 429, 'another client behind the same proxy is not');
  });

  test('not trusting it, a forged X-Forwarded-For buys no fresh limit', async () => {
    const first = await posts(shops.direct!, '198.51.100.1', LIMIT);
    assert.ok(first.every((s) => s !== 429), `within the limit: ${first}`);
    const forged = await posts(shops.direct!, '198.51.100.99', 1);
    assert.equal(forged[0], 429, 'the same connecting address, whatever the header says');
  });
});
