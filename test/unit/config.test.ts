import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/platform/config.ts';

const KEY = Buffer.alloc(32, 7).toString('base64');

test('defaults give a development shop on PGlite at localhost:3000', () => {
  const config = loadConfig({});
  assert.equal(config.env, 'development');
  assert.equal(config.port, 3000);
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.dataDir, path.resolve('data'));
  assert.equal(config.baseUrl, 'http://localhost:3000');
  assert.equal(config.shop.contactEmail, 'privacy@example.com');
  assert.equal(config.shop.contactPhone, '+1 555 0100');
});

test('empty variables count as unset', () => {
  assert.equal(loadConfig({ PORT: '', DATABASE_URL: '' }).port, 3000);
});

test('valid settings are taken', () => {
  const config = loadConfig({
    NODE_ENV: 'production',
    PORT: '8080',
    DATABASE_URL: 'postgres://shop:secret@db:5432/shop',
    PLEDGE_MASTER_KEY: KEY,
    SMTP_URL: 'smtp://mail:587',
    PLEDGE_BASE_URL: 'https://shop.example.com/',
    PLEDGE_SHOP_NAME: 'Rose & Co',
    PLEDGE_RETURNS_ADDRESS: 'Returns | 4 Quay Street | Bristol BS1 4DJ',
  });
  assert.deepEqual(config.shop.returnsAddress, ['Returns', '4 Quay Street', 'Bristol BS1 4DJ']);
  assert.equal(config.port, 8080);
  assert.equal(config.baseUrl, 'https://shop.example.com');
  assert.equal(config.shop.mailFrom, 'no-reply@shop.example.com');
  assert.equal(config.shop.name, 'Rose & Co');
});

// Everything production asks for; each case below takes one setting away.
const PRODUCTION = {
  NODE_ENV: 'production',
  PLEDGE_MASTER_KEY: KEY,
  DATABASE_URL: 'postgres://shop:secret@db:5432/shop',
  PLEDGE_BASE_URL: 'https://shop.example.com',
  SMTP_URL: 'smtp://mail:587',
};

test('production runs on PGlite only when allowed explicitly', () => {
  const config = loadConfig({ ...PRODUCTION, DATABASE_URL: '', PLEDGE_ALLOW_PGLITE: 'true' });
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.env, 'production');
});

test('backups and metrics are off unless configured', () => {
  const config = loadConfig({});
  assert.equal(config.backupDir, undefined);
  assert.equal(config.backupDays, 35);
  assert.equal(config.metricsToken, undefined);
  assert.equal(loadConfig({ PLEDGE_BACKUP_DIR: 'backups' }).backupDir, path.resolve('backups'));
});

const bad: [Record<string, string>, RegExp][] = [
  [{ PLEDGE_RETURNS_ADDRESS: 'Returns||Bristol' }, /^PLEDGE_RETURNS_ADDRESS must be address lines separated by "\|", none of them empty/],
  [{ PORT: 'abc' }, /^PORT must be a whole number \(got "abc"\)$/],
  [{ PORT: '70000' }, /^PORT must be at most 65535/],
  [{ PORT: '-1' }, /^PORT must be at least 0/],
  [{ PORT: '80.5' }, /^PORT /],
  [{ NODE_ENV: 'prod' }, /^NODE_ENV must be one of development, production, test/],
  [{ DATABASE_URL: 'mysql://x/y' }, /^DATABASE_URL must be a URL \(postgres:\/\/user:password@host:5432\/database\) \(value hidden\)$/],
  [{ PLEDGE_MASTER_KEY: 'too-short' }, /^PLEDGE_MASTER_KEY must be 32 bytes in base64.*\(value hidden\)$/],
  [{ SMTP_URL: 'http://mail' }, /^SMTP_URL must be a URL/],
  [{ PLEDGE_BASE_URL: 'ftp://shop' }, /^PLEDGE_BASE_URL must be a URL \(http:\/\/ or https:\/\/\)/],
  [{ PLEDGE_CONTACT_EMAIL: 'not-an-address' }, /^PLEDGE_CONTACT_EMAIL must be an e-mail address/],
  [{ PLEDGE_CONTACT_PHONE: 'call us' }, /^PLEDGE_CONTACT_PHONE must be a phone number/],
  [{ PLEDGE_LOG_LEVEL: 'loud' }, /^PLEDGE_LOG_LEVEL must be one of/],
  [{ PLEDGE_FORM_RATE_LIMIT: '0' }, /^PLEDGE_FORM_RATE_LIMIT must be at least 1/],
  [{ PLEDGE_TRUST_PROXY: 'yes' }, /^PLEDGE_TRUST_PROXY must be one of true, false/],
  [{ NODE_ENV: 'production' }, /^PLEDGE_MASTER_KEY is required when NODE_ENV=production/],
  [{ ...PRODUCTION, DATABASE_URL: '' }, /^DATABASE_URL \(a PostgreSQL URL\) is required when NODE_ENV=production: PGlite is for development and small shops on one server; set PLEDGE_ALLOW_PGLITE=true/],
  [{ ...PRODUCTION, PLEDGE_BASE_URL: '' }, /^PLEDGE_BASE_URL must be the shop's https:\/\/ address when NODE_ENV=production/],
  [{ ...PRODUCTION, PLEDGE_BASE_URL: 'http://shop.example.com' }, /^PLEDGE_BASE_URL must be the shop's https:\/\/ address/],
  [{ ...PRODUCTION, SMTP_URL: '' }, /^SMTP_URL is required when NODE_ENV=production/],
  [{ PLEDGE_BACKUP_KEY: 'short' }, /^PLEDGE_BACKUP_KEY must be 32 bytes in base64.*\(value hidden\)$/],
  [{ PLEDGE_TLS_CERT: 'cert.pem' }, /^PLEDGE_TLS_KEY is required with PLEDGE_TLS_CERT: direct TLS needs both/],
  [{ PLEDGE_TLS_KEY: 'key.pem' }, /^PLEDGE_TLS_CERT is required with PLEDGE_TLS_KEY/],
  [{ PLEDGE_METRICS_TOKEN: 'guessable' }, /^PLEDGE_METRICS_TOKEN must be at least 32 characters without spaces.*\(value hidden\)$/],
  [{ PLEDGE_DSR_COUNTRY: 'XX' }, /^PLEDGE_DSR_COUNTRY must be a country code date-holidays knows, like US, GB or DE \(got "XX"\)$/],
  [{ PLEDGE_DSR_PROFILE: 'lgpd' }, /^PLEDGE_DSR_PROFILE must be one of policy, gdpr, ccpa/],
];

test('data-subject requests default to the policy’s deadlines with US holidays; a country code may be lower case', () => {
  assert.deepEqual(loadConfig({}).dsr, { country: 'US', profile: 'policy' });
  assert.deepEqual(loadConfig({ PLEDGE_DSR_COUNTRY: 'de', PLEDGE_DSR_PROFILE: 'gdpr' }).dsr, { country: 'DE', profile: 'gdpr' });
});

for (const [env, message] of bad) {
  test(`rejects ${JSON.stringify(env)} with one clear line`, () => {
    assert.throws(() => loadConfig(env), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, message);
      assert.ok(!error.message.includes('\n'), 'one line');
      return true;
    });
  });
}

test('secrets are never echoed in errors', () => {
  assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' }), (error: Error) => !error.message.includes('hunter2'));
});
