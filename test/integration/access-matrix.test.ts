import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachDatabase } from '../support/databases.ts';
import { askAs, isAllowed, refused, ROUTE_TABLE, tableGaps } from '../support/route-table.ts';
import { servedRoutes } from '../support/routes.ts';
import { startTestShop, type TestShop } from '../support/shop.ts';
import { ACTORS, buildWorld, METRICS_TOKEN, type World } from '../support/world.ts';

// The access matrix (issue 10): every route the app serves, asked by every actor — a visitor, customers A and B,
// and a member of staff of each role — must let through exactly those test/support/route-table.ts names and refuse
// the others (sign in first, 401, 403, or the 404 an unknown thing gets). Routes naming A's records (an order, a
// ticket, a return, a copy request, an address, a consent record) are asked with A's ids, so B and everyone else
// asking for them by id or number is refused; pages that list things show A's records to A alone. Every answer
// carries the CSP without unsafe-inline, and every cookie set is HttpOnly and SameSite.

forEachDatabase('access matrix', (kind) => {
  let shop: TestShop;
  let world: World;
  before(async () => {
    shop = await startTestShop(kind, { env: { PLEDGE_FORM_RATE_LIMIT: '100000', PLEDGE_METRICS_TOKEN: METRICS_TOKEN } });
    world = await buildWorld(shop);
  });
  after(() => shop.stop());

  test('the table names every route the app serves, and only those', () => {
    const { missing, stale } = tableGaps(servedRoutes(shop.app));
    assert.deepEqual(missing, [], `routes missing from test/support/route-table.ts: ${missing.join(', ')}`);
    assert.deepEqual(stale, [], `routes in the table that the app does not serve: ${stale.join(', ')}`);
  });

  test('each route lets through exactly the actors the table names, shows A’s records to no one else, under the CSP', async () => {
    const wrong: string[] = [];
    let asked = 0;
    for (const key of servedRoutes(shop.app)) {
      const entry = ROUTE_TABLE[key];
      if (!entry) continue;
      for (const actor of ACTORS) {
        const response = await askAs(world, key, actor);
        asked++;
        const expected = isAllowed(entry.allow, actor) ? 'allowed' : 'refused';
        const answer = response.statusCode >= 500 ? 'an error' : refused(entry, response) ? 'refused' : 'allowed';
        if (answer !== expected) wrong.push(`${key} as ${actor}: ${expected} expected, ${answer} (${response.statusCode} ${response.headers.location ?? response.body.slice(0, 120)})`);
        const csp = String(response.headers['content-security-policy'] ?? '');
        if (!/script-src 'self'/.test(csp) || /unsafe-inline/.test(csp)) wrong.push(`${key} as ${actor}: CSP ${csp}`);
        for (const cookie of response.cookies) {
          if (cookie.value !== '' && (!cookie.httpOnly || !['Strict', 'Lax'].includes(String(cookie.sameSite)))) wrong.push(`${key} as ${actor}: cookie ${cookie.name} is not HttpOnly and SameSite`);
        }
        if (entry.shows) {
          const secret = entry.shows.text(world);
          const shown = response.body.includes(secret);
          if (shown !== entry.shows.to.includes(actor)) wrong.push(`${key} as ${actor}: ${shown ? 'shows' : 'does not show'} ${secret}`);
        }
      }
      if (entry.allow === 'pass') {
        const response = await askAs(world, key, 'visitor', await entry.pass!(world));
        asked++;
        if (response.statusCode >= 500 || refused(entry, response)) wrong.push(`${key} with its pass: allowed expected, ${response.statusCode} ${response.headers.location ?? response.body.slice(0, 120)}`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(asked > ACTORS.length * 150, `${asked} requests`);
  });
});
