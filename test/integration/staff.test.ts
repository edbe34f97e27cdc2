import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as OTPAuth from 'otpauth';
import { eq } from 'drizzle-orm';
import { inTransaction } from '../../src/platform/db/index.ts';
import { recordRead } from '../../src/privacy/audit/service.ts';
import { staffSessions } from '../../src/privacy/staff/schema.ts';
import { createStaff, LOCK_MS, SESSION_IDLE_MS, SETUP_VALID_MS } from '../../src/privacy/staff/service.ts';
import { keyringFrom, type VaultContext } from '../../src/privacy/vault/service.ts';
import type { Role } from '../../src/privacy/access.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, startTestShop, type TestShop } from '../support/shop.ts';

type Account = { email: string; password: string; secret: string; recoveryCodes: string[] };

forEachDatabase('staff sign-in', (kind) => {
  let shop: TestShop;
  let vault: VaultContext;
  before(async () => {
    shop = await startTestShop(kind, { seed: false });
    vault = { db: shop.database.db, clock: shop.clock, keys: keyringFrom(shop.runtime.masterKey) };
  });
  after(() => shop.stop());

  const code = (secret: string, offsetMs = 0) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: shop.clock.now().getTime() + offsetMs });

  // Each request comes from its own loopback address, so the per-client rate limit only bites in the test about it.
  let client = 0;
  const nextAddress = () => `127.0.${Math.floor(++client / 250)}.${(client % 250) + 1}`;

  async function post(url: string, payload: Record<string, string>, cookie?: string, remoteAddress = nextAddress()) {
    const csrf = await csrfFor(shop.app, url.startsWith('/admin/setup') ? url : '/admin/login');
    return shop.app.inject({ method: 'POST', url, remoteAddress, headers: { cookie: [csrf.cookie, cookie].filter(Boolean).join('; ') }, payload: { ...payload, _csrf: csrf.token } });
  }

  async function enrol(email: string, roles: Role[]): Promise<Account> {
    const { setupToken } = await createStaff(vault, { email, roles });
    const page = await shop.app.inject(`/admin/setup/${setupToken}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<svg[^>]*>/, 'QR code shown');
    const secret = /class="secret">([A-Z2-7]+)</.exec(page.body)![1]!;
    const password = 'correct horse battery staple';
    const done = await post(`/admin/setup/${setupToken}`, { password, confirm: password, code: code(secret) });
    assert.equal(done.statusCode, 200, done.body);
    const recoveryCodes = [...done.body.matchAll(/<li>([0-9a-f]{5}-[0-9a-f]{5})<\/li>/g)].map((m) => m[1]!);
    assert.equal(recoveryCodes.length, 10);
    assert.equal((await shop.app.inject(`/admin/setup/${setupToken}`)).statusCode, 404, 'the set-up link works once');
    return { email, password, secret, recoveryCodes };
  }

  async function signIn(account: Account, overrides: Partial<Record<'email' | 'password' | 'code', string>> = {}, remoteAddress?: string) {
    const response = await post('/admin/login', { email: account.email, password: account.password, code: code(account.secret), ...overrides }, undefined, remoteAddress);
    const session = response.cookies.find((c) => c.name === 'pledge_staff');
    return { response, cookie: session ? `pledge_staff=${session.value}` : undefined, session };
  }

  let officer: Account;
  let support: Account;

  test('set-up refuses bad input beside each field and a wrong code', async () => {
    const { setupToken } = await createStaff(vault, { email: 'new.hire@example.com', roles: ['support'] });
    const short = await post(`/admin/setup/${setupToken}`, { password: 'short', confirm: 'other', code: '12' });
    assert.equal(short.statusCode, 400);
    assert.match(short.body, /Use at least 12 characters/);
    assert.match(short.body, /Enter the 6-digit code/);
    const wrong = await post(`/admin/setup/${setupToken}`, { password: 'long enough password', confirm: 'long enough password', code: '000000' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /That code did not match/);
    shop.clock.advance(SETUP_VALID_MS + 1000);
    assert.equal((await shop.app.inject(`/admin/setup/${setupToken}`)).statusCode, 404, 'set-up links expire');
    assert.equal((await shop.app.inject('/admin/setup/not-a-token')).statusCode, 404);
  });

  test('a new account signs in with password and TOTP, and sees its role', async () => {
    officer = await enrol('officer@example.com', ['privacy_officer']);
    support = await enrol('helper@example.com', ['support']);
    const { response, cookie, session } = await signIn(support);
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/admin');
    assert.equal(session!.httpOnly, true);
    assert.equal(session!.sameSite, 'Strict');
    const home = await shop.app.inject({ url: '/admin', headers: { cookie: cookie! } });
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /helper@example\.com/);
    assert.match(home.body, /Support/);
    assert.doesNotMatch(home.body, /Audit log/, 'only privacy officers see the audit log');
  });

  test('without the right TOTP code there is no session, and the answer is the same as for an unknown address', async () => {
    const wrongCode = await signIn(support, { code: '123456' });
    assert.equal(wrongCode.response.statusCode, 401);
    assert.equal(wrongCode.cookie, undefined);
    const unknown = await signIn({ ...support, email: 'nobody@example.com' });
    const wrongPassword = await signIn(support, { password: 'not the password at all' });
    const strip = (body: string) => body.replace(/name="_csrf" value="[^"]+"/, '').replace(/value="[^"]*@example\.com"/, '');
    assert.equal(unknown.response.statusCode, 401);
    assert.equal(strip(unknown.response.body), strip(wrongPassword.response.body));
    assert.equal(strip(unknown.response.body), strip(wrongCode.response.body));
    const good = await signIn(support);
    assert.equal(good.response.statusCode, 303, 'three failures do not lock the account');
  });

  test('five failures lock the account for fifteen minutes, even with the right details', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await signIn(officer, { password: `wrong password ${i}` })).response.statusCode, 401);
    assert.equal((await signIn(officer)).response.statusCode, 401, 'locked');
    shop.clock.advance(LOCK_MS + 60_000);
    assert.equal((await signIn(officer)).response.statusCode, 303, 'unlocked after the lock period');
  });

  test('a recovery code signs in once', async () => {
    const [recovery] = officer.recoveryCodes;
    assert.equal((await signIn(officer, { code: recovery! })).response.statusCode, 303);
    assert.equal((await signIn(officer, { code: recovery! })).response.statusCode, 401);
  });

  test('the privacy officer sees the audit log of staff reads', async () => {
    await inTransaction(shop.database.db, (tx) =>
      recordRead({ clock: shop.clock }, tx, {
        actor: { kind: 'staff', staffId: 'f1d9a6a2-5f7e-4b7e-9a56-0f1f2f3f4f5f', roles: ['support'] },
        subject: { unitId: '0b6f1f34-5d0e-4c1a-9a43-2f4c1e0d9a10', kind: 'order' },
        fields: ['email'],
        purpose: 'customer_support',
      }),
    );
    const { cookie } = await signIn(officer);
    const home = await shop.app.inject({ url: '/admin', headers: { cookie: cookie! } });
    assert.match(home.body, /Audit log/);
    assert.match(home.body, /customer_support/);
  });

  test('sessions end on sign-out and after 30 idle minutes; a new sign-in gets a new token', async () => {
    const first = await signIn(support);
    const second = await signIn(support);
    assert.notEqual(first.cookie, second.cookie);
    const out = await post('/admin/logout', {}, first.cookie);
    assert.equal(out.statusCode, 303);
    assert.equal((await shop.app.inject({ url: '/admin', headers: { cookie: first.cookie! } })).headers.location, '/admin/login');
    assert.equal((await shop.app.inject({ url: '/admin', headers: { cookie: second.cookie! } })).statusCode, 200);
    shop.clock.advance(SESSION_IDLE_MS + 1000);
    assert.equal((await shop.app.inject({ url: '/admin', headers: { cookie: second.cookie! } })).headers.location, '/admin/login');
    const sessions = await shop.database.db.select().from(staffSessions).where(eq(staffSessions.tokenHash, Buffer.alloc(32)));
    assert.equal(sessions.length, 0);
  });

  test('the sign-in form rejects malformed input with field messages and keeps the e-mail', async () => {
    const response = await post('/admin/login', { email: 'not-an-address', password: '', code: '' });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /Enter the e-mail address of your staff account/);
    assert.match(response.body, /value="not-an-address"/);
    assert.match(response.body, /Enter your password/);
  });

  test('sign-in attempts are rate-limited per client', async () => {
    let limited = false;
    for (let i = 0; i < 12 && !limited; i++) limited = (await signIn({ ...support, email: `flood${i}@example.com` }, {}, '127.9.9.9')).response.statusCode === 429;
    assert.ok(limited, 'the eleventh attempt within a minute is refused');
  });
});
