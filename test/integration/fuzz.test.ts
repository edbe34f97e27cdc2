import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { queryRows } from '../../src/platform/db/index.ts';
import { forEachDatabase } from '../support/databases.ts';
import { AWKWARD_TEXT, NUMBER_TEXT, SCRIPT_PAYLOADS, SQL_FRAGMENTS, unescapedPayloads } from '../support/hostile.ts';
import { isAllowed, requestFor, ROUTE_TABLE } from '../support/route-table.ts';
import { servedRoutes } from '../support/routes.ts';
import { startTestShop, type TestShop } from '../support/shop.ts';
import { ACTORS, buildWorld, METRICS_TOKEN, send, type ActorName, type World } from '../support/world.ts';

// Fuzzing (issue 10): every route the app serves gets generated, hostile input — script and SQL in every field,
// unicode, control characters, long and huge strings, wrong types, missing and extra fields, negative and enormous
// numbers, broken parameters and query strings, bodies of the wrong type — as the actor the route is for (with a
// CSRF token and the right session), and must answer without a 5xx; a 4xx must say what is wrong (an HTML page with
// a heading, or `{ error: { code, message } }`); a refused request must leave every table's row count as it was;
// nothing it shows may carry a payload unescaped (then, or later on the pages that list what it stored), and no
// redirect may leave the shop.
//
// PLEDGE_FUZZ_RUNS sets the runs per route (default 10), PLEDGE_FUZZ_SEED the seed; a failure names both.

const RUNS = Number(process.env.PLEDGE_FUZZ_RUNS ?? 10);
const SEED = Number(process.env.PLEDGE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SCRIPT_PAYLOADS) },
  { weight: 3, arbitrary: fc.constantFrom(...SQL_FRAGMENTS, ...AWKWARD_TEXT, ...NUMBER_TEXT) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...SCRIPT_PAYLOADS, 'a', 'é'), fc.integer({ min: 300, max: 50_000 })).map(([s, n]) => s.repeat(Math.ceil(n / s.length)).slice(0, n)) },
);
/** What JSON can carry besides text: numbers out of every range, booleans, null, lists, objects (with keys meant to pollute). */
const jsonValue = fc.oneof(
  { weight: 4, arbitrary: text },
  { weight: 2, arbitrary: fc.constantFrom(-1, 0, -0.5, 1.5, 2 ** 31, -(2 ** 31), 2 ** 53 + 2, 1e308, -1e308, true, false, null) },
  { weight: 1, arbitrary: fc.array(text, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'line1', 'country', 'a'), text, { maxKeys: 3 }) },
);
const QUERY_KEYS = ['page', 'perPage', 'q', 'sort', 'number', 'status', 'error', 'token', 'done', 'saved', 'kind', 'open', 'canned', 'published', 'category', 'sent', 'stock'];

/** Form fields each POST route's form has, read from the shop's own pages; and the store API's from its document. */
async function fieldsOfRoutes(w: World, served: readonly string[]): Promise<Map<string, Set<string>>> {
  const fields = new Map<string, Set<string>>(served.map((key) => [key, new Set(Object.keys(ROUTE_TABLE[key]?.body?.(w) ?? {}))]));
  const patterns = served.map((key) => {
    const [method, path] = key.split(' ') as [string, string];
    return { key, method, match: new RegExp(`^${path.replace(/:[^/]+/g, '[^/]+')}$`) };
  });
  for (const key of served.filter((k) => k.startsWith('GET '))) {
    const entry = ROUTE_TABLE[key];
    if (!entry) continue;
    const actor = ACTORS.find((a) => isAllowed(entry.allow, a)) ?? 'visitor';
    const page = await send(w, await requestFor(w, key, actor, entry.allow === 'pass' ? await entry.pass!(w) : undefined));
    for (const form of page.body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
      const action = /action="([^"]*)"/.exec(form[1]!)?.[1]?.replace(/&amp;/g, '&').split('?')[0];
      const method = (/method="([^"]*)"/.exec(form[1]!)?.[1] ?? 'get').toUpperCase();
      const route = action && patterns.find((p) => p.method === method && p.match.test(action));
      if (!route) continue;
      for (const name of form[2]!.matchAll(/\bname="([^"]+)"/g)) if (name[1] !== '_csrf') fields.get(route.key)!.add(name[1]!);
    }
  }
  const openapi = JSON.parse((await w.shop.app.inject('/api/openapi.json')).body) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: object } }> } }>> };
  for (const [path, operations] of Object.entries(openapi.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const names = fields.get(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
      for (const property of Object.keys(operation.requestBody?.content['application/json']?.schema.properties ?? {})) names?.add(property);
    }
  }
  return fields;
}

type Attack = { params: (string | undefined)[]; query: Record<string, string> | undefined; body: Record<string, unknown>; encoding: 'form' | 'json' | 'text' | 'broken'; pass: boolean };

function attacks(fieldNames: readonly string[], valid: Record<string, unknown>, paramCount: number): fc.Arbitrary<Attack> {
  const value = (name: string) => (name in valid ? fc.oneof(fc.constant(valid[name]), jsonValue) : jsonValue);
  return fc.record({
    // undefined: the parameter's real value (A's order number, a real token); otherwise something made up.
    params: fc.array(fc.option(text, { nil: undefined, freq: 2 }), { minLength: paramCount, maxLength: paramCount }),
    query: fc.option(fc.dictionary(fc.constantFrom(...QUERY_KEYS), text, { maxKeys: 3 }), { nil: undefined }),
    body: fc
      .tuple(fc.record(Object.fromEntries(fieldNames.map((name) => [name, value(name)])), { requiredKeys: [] }), fc.dictionary(text, jsonValue, { maxKeys: 2 }))
      .map(([known, extra]) => ({ ...extra, ...known })),
    encoding: fc.constantFrom('form', 'form', 'json', 'json', 'text', 'broken'),
    pass: fc.boolean(),
  });
}

/**
 * Besides the random runs, each field on its own, the others valid: with a NUL (which PostgreSQL's text refuses), with
 * script, as a long text and as a negative and an enormous number.
 */
function fieldByField(fieldNames: readonly string[], valid: Record<string, unknown>, paramCount: number): [Attack][] {
  const params = Array.from({ length: paramCount }, () => undefined);
  const attack = (name: string, value: unknown, encoding: Attack['encoding']): [Attack] => [{ params, query: undefined, body: { ...valid, [name]: value }, encoding, pass: true }];
  return fieldNames.flatMap((name) => [
    attack(name, 'nul\u0000inside', 'form'),
    attack(name, SCRIPT_PAYLOADS[1], 'form'),
    attack(name, 'é'.repeat(5000), 'form'),
    attack(name, -1, 'json'),
    attack(name, 1e308, 'json'),
  ]);
}

/**
 * A made-up parameter as the bytes a client could put in the address. A lone surrogate, which UTF-8 cannot carry (and
 * `encodeURIComponent` refuses), goes as the three bytes it would take, an escape no UTF-8 decoder accepts.
 */
function escapedParam(made: string): string {
  return made
    .split(/([\ud800-\udfff])/u)
    .map((part, i) => {
      if (i % 2 === 0) return encodeURIComponent(part);
      const unit = part.charCodeAt(0);
      return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    })
    .join('');
}

/** The attack's request: parameters and query replaced, the body encoded as asked. */
function attacked(base: { url: string }, pattern: string, attack: Attack): { url: string } {
  const [path, query] = base.url.split('?') as [string, string | undefined];
  const segments = path.split('/');
  let param = 0;
  pattern.split('/').forEach((segment, i) => {
    if (!segment.startsWith(':')) return;
    const made = attack.params[param++];
    if (made !== undefined) segments[i] = escapedParam(made);
  });
  const search = new URLSearchParams(query);
  for (const [k, v] of Object.entries(attack.query ?? {})) search.set(k, v);
  const qs = search.toString();
  return { url: `${segments.join('/')}${qs ? `?${qs}` : ''}` };
}

forEachDatabase('fuzzing every route', (kind) => {
  let shop: TestShop;
  let world: World;
  let counts: () => Promise<Record<string, number>>;
  before(async () => {
    shop = await startTestShop(kind, { env: { PLEDGE_FORM_RATE_LIMIT: '100000', PLEDGE_METRICS_TOKEN: METRICS_TOKEN } });
    world = await buildWorld(shop);
    const tables = await queryRows<{ name: string }>(shop.database.db, sql`select table_schema || '.' || table_name as name from information_schema.tables where table_schema in ('public', 'pgboss') and table_type = 'BASE TABLE' and table_name not like 'job_%' order by 1`);
    const select = tables.map((t, i) => `(select count(*) from ${t.name.split('.').map((p) => `"${p}"`).join('.')})::int as c${i}`).join(', ');
    counts = async () => {
      const [row] = await queryRows<Record<string, number>>(shop.database.db, sql.raw(`select ${select}`));
      return Object.fromEntries(tables.map((t, i) => [t.name, row![`c${i}`]!]));
    };
  });
  after(() => shop.stop());

  test('an address the router cannot read (bad escapes, an over-long parameter) gets the shop’s own error page or JSON', async () => {
    for (const [url, status] of [
      ['/products/%E0%A4%A', 400],
      ['/products/%ED%A0%80', 400],
      [`/products/${'a'.repeat(500)}`, 414],
      ['/api/store/products/%E0%A4%A', 400],
      [`/api/store/orders/${'9'.repeat(500)}`, 414],
    ] as const) {
      const response = await shop.app.inject({ url, headers: { accept: 'text/html' } });
      assert.equal(response.statusCode, status, url);
      assert.match(String(response.headers['content-security-policy']), /script-src 'self'/, `${url}: the security headers`);
      if (url.startsWith('/api/')) assert.equal(typeof response.json().error.message, 'string', url);
      else assert.match(response.body, /<h1>(Please check your input|Address too long)<\/h1>/, url);
      assert.ok(!response.body.includes('aaaaaaaaaa') && !/%E[0D]/.test(response.body), `${url}: the address is not echoed`);
    }
  });

  test(`hostile input to every route: no 5xx, a clear 4xx, nothing written when refused, nothing unescaped (seed ${SEED}, ${RUNS} runs a route)`, async () => {
    const served = servedRoutes(shop.app).filter((key) => ROUTE_TABLE[key]);
    const fields = await fieldsOfRoutes(world, served);
    let requests = 0;
    for (const key of served) {
      const entry = ROUTE_TABLE[key]!;
      const [method, pattern] = key.split(' ') as [string, string];
      const actor: ActorName = ACTORS.find((a) => isAllowed(entry.allow, a)) ?? 'visitor';
      const api = pattern.startsWith('/api/');
      const valid = entry.body?.(world) ?? {};
      const paramCount = pattern.split('/').filter((s) => s.startsWith(':')).length;
      await fc.assert(
        fc.asyncProperty(attacks([...fields.get(key)!], valid, paramCount), async (attack) => {
          const pass = entry.allow === 'pass' && attack.pass ? await entry.pass!(world) : undefined;
          const base = await requestFor(world, key, actor, pass);
          // Counted after the pass, the fresh session or the record the request names was made: those are not its writes.
          const rows = await counts();
          const { url } = attacked(base, pattern, attack);
          const hasBody = method !== 'GET' && method !== 'DELETE';
          const encoding = api && attack.encoding === 'form' ? 'json' : attack.encoding;
          const raw =
            hasBody && encoding === 'text' ? { type: 'text/plain', payload: JSON.stringify(attack.body) }
            : hasBody && encoding === 'broken' ? { type: 'application/json', payload: '{"email": "a@example.com", ' }
            : undefined;
          // A page's fields (its search form's) travel in the query string.
          const query = hasBody ? '' : new URLSearchParams(Object.entries(attack.body).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
          const target = query ? `${url}${url.includes('?') ? '&' : '?'}${query}` : url;
          const body = api ? attack.body : { ...attack.body, _csrf: world.csrfToken };
          const response = await send(world, { ...base, url: target, body, json: encoding === 'json', ...(raw ? { raw } : {}) });
          requests++;
          const what = `${method} ${target.slice(0, 200)} as ${actor}: ${response.statusCode}`;
          assert.ok(response.statusCode < 500, `${what} ${response.body.slice(0, 500)}`);
          const type = String(response.headers['content-type'] ?? '');
          if (response.statusCode >= 400) {
            if (type.startsWith('application/json')) {
              const problem = (JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } }).error;
              assert.ok(typeof problem?.code === 'string' && typeof problem.message === 'string' && problem.message.length > 0, `${what}: ${response.body.slice(0, 300)}`);
            } else if (type.startsWith('text/html')) {
              // An error page (its heading) or the form again with its messages.
              assert.match(response.body, /<h1[\s>]|role="alert"|class="(?:[^"]* )?(?:error|field-errors|form-error)[ "]/, `${what}: an HTML page that says what is wrong`);
            } else {
              assert.ok(type.startsWith('text/plain') && response.body.trim().length > 0, `${what}: ${type} ${response.body.slice(0, 200)}`);
            }
          }
          if (type.startsWith('text/html')) assert.deepEqual(unescapedPayloads(response.body), [], `${what}: shows a payload unescaped`);
          const location = response.headers.location;
          if (location !== undefined) assert.match(String(location), /^\/(?![/\\])[^\s<>"]*$/, `${what}: redirects within the shop`);
          for (const cookie of response.cookies) assert.notEqual(cookie.value, 'planted', `${what}: sets a cookie from the input`);
          const now = await counts();
          if ([400, 401, 403, 404, 413, 415, 422, 429].includes(response.statusCode)) {
            // pg-boss's own upkeep deletes finished jobs at any time: only a new job would be the request's. A form
            // sent back with the record it is about (a ticket's conversation) is a staff read, which the audit trail
            // records, refused or not.
            const changed = Object.keys(now)
              .filter((t) => t !== 'public.audit_event' && (t.startsWith('pgboss.') ? now[t]! > rows[t]! : now[t] !== rows[t]))
              .map((t) => `${t} ${rows[t]} → ${now[t]}`);
            assert.deepEqual(changed, [], `${what}: a refused request wrote`);
          }
        }),
        { numRuns: RUNS, seed: SEED, examples: fieldByField([...fields.get(key)!], valid, paramCount) },
      );
    }
    assert.ok(requests >= served.length * RUNS, `${requests} requests`);

    // What the attacks stored (names, addresses, messages, notes, drafts) is shown again on the pages that list it:
    // every page, asked once more as the actor it is for, must show it escaped.
    const shown: string[] = [];
    for (const key of served.filter((k) => k.startsWith('GET '))) {
      const entry = ROUTE_TABLE[key]!;
      const actor = ACTORS.find((a) => isAllowed(entry.allow, a)) ?? 'visitor';
      const page = await send(world, await requestFor(world, key, actor, entry.allow === 'pass' ? await entry.pass!(world) : undefined));
      if (String(page.headers['content-type']).startsWith('text/html')) shown.push(...unescapedPayloads(page.body).map((p) => `${key}: ${p}`));
    }
    assert.deepEqual(shown, []);
  });
});
