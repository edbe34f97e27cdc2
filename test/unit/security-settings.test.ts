import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/platform/config.ts';
import { networkOf } from '../../src/privacy/security/networks.ts';
import { hoursWords, securitySettings, withinHours } from '../../src/privacy/security/service.ts';

// The access anomaly rules' settings: read once at start, each wrong value refused in one line naming the setting.

test('the defaults: role rates, no working hours, UTC, no unexplained reads, three failed sign-ins an hour, new networks on', () => {
  const settings = securitySettings(loadConfig({}).security);
  assert.deepEqual(settings.readRates, { support: 60, fulfilment: 120, privacy_officer: 30, admin: 0 });
  assert.equal(settings.workingHours, null);
  assert.equal(settings.timeZone, 'UTC');
  assert.equal(settings.unjustifiedReads, 0);
  assert.equal(settings.failedSignIns, 3);
  assert.equal(settings.newNetwork, true);
});

test('settings given are taken, rates over the defaults, rules turned off', () => {
  const config = loadConfig({
    PLEDGE_SECURITY_READ_RATES: 'support=10, fulfilment=200',
    PLEDGE_SECURITY_WORKING_HOURS: 'Mon-Fri 08:00-18:00, Sat 09:00-13:00',
    PLEDGE_SECURITY_TIME_ZONE: 'America/New_York',
    PLEDGE_SECURITY_UNJUSTIFIED_READS: 'off',
    PLEDGE_SECURITY_FAILED_SIGN_INS: 'off',
    PLEDGE_SECURITY_NEW_NETWORK: 'off',
  });
  const settings = securitySettings(config.security);
  assert.deepEqual(settings.readRates, { support: 10, fulfilment: 200, privacy_officer: 30, admin: 0 });
  assert.equal(hoursWords(settings.workingHours!), 'Mon-Fri 08:00-18:00, Sat 09:00-13:00');
  assert.equal(settings.unjustifiedReads, null);
  assert.equal(settings.failedSignIns, null);
  assert.equal(settings.newNetwork, false);
  // Saturday 12:59 in New York is working time, 13:00 is not.
  assert.equal(withinHours(settings.workingHours!, settings.timeZone, new Date('2026-05-09T16:59:00Z')), true);
  assert.equal(withinHours(settings.workingHours!, settings.timeZone, new Date('2026-05-09T17:00:00Z')), false);
});

test('a day range may wrap past Sunday', () => {
  const { workingHours } = loadConfig({ PLEDGE_SECURITY_WORKING_HOURS: 'Fri-Mon 00:00-24:00' }).security;
  assert.deepEqual(workingHours![0]!.days, [5, 6, 7, 1]);
  assert.equal(hoursWords(workingHours!), 'Fri-Mon 00:00-24:00');
});

const bad: [Record<string, string>, RegExp][] = [
  [{ PLEDGE_SECURITY_READ_RATES: 'support' }, /^PLEDGE_SECURITY_READ_RATES must be role=N pairs separated by commas, like support=60,fulfilment=120 \(got "support"\)$/],
  [{ PLEDGE_SECURITY_WORKING_HOURS: 'Mon-Fri 18:00-08:00' }, /^PLEDGE_SECURITY_WORKING_HOURS must be days and hours like "Mon-Fri 08:00-18:00" \(several separated by commas\), each ending after it starts \(got "Mon-Fri 18:00-08:00"\)$/],
  [{ PLEDGE_SECURITY_WORKING_HOURS: 'weekdays 9-5' }, /^PLEDGE_SECURITY_WORKING_HOURS must be days and hours/],
  [{ PLEDGE_SECURITY_WORKING_HOURS: 'Mon 08:00-24:30' }, /^PLEDGE_SECURITY_WORKING_HOURS must be days and hours/],
  [{ PLEDGE_SECURITY_TIME_ZONE: 'Mars/Olympus' }, /^PLEDGE_SECURITY_TIME_ZONE must be an IANA time zone such as Europe\/Berlin or America\/New_York \(got "Mars\/Olympus"\)$/],
  [{ PLEDGE_SECURITY_UNJUSTIFIED_READS: '-1' }, /^PLEDGE_SECURITY_UNJUSTIFIED_READS must be a whole number of subjects an hour, or off \(got "-1"\)$/],
  [{ PLEDGE_SECURITY_FAILED_SIGN_INS: 'many' }, /^PLEDGE_SECURITY_FAILED_SIGN_INS must be a whole number of failed sign-ins an hour, or off/],
  [{ PLEDGE_SECURITY_NEW_NETWORK: 'yes' }, /^PLEDGE_SECURITY_NEW_NETWORK must be one of on, off/],
];

for (const [env, message] of bad) {
  test(`refused: ${JSON.stringify(env)}`, () => {
    assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && message.test(error.message) && !error.message.includes('\n'));
  });
}

test('a rate for a role that does not exist stops the shop, naming the roles there are', () => {
  assert.throws(
    () => securitySettings(loadConfig({ PLEDGE_SECURITY_READ_RATES: 'support=60,intern=5' }).security),
    (error: unknown) => error instanceof ConfigError && error.message === 'PLEDGE_SECURITY_READ_RATES: unknown role "intern" (roles are support, fulfilment, privacy_officer, admin)',
  );
});

test('networks: an IPv4 /24 or IPv6 /48, mapped IPv4 as IPv4, anything else none', () => {
  assert.equal(networkOf('203.0.113.7'), '203.0.113.0/24');
  assert.equal(networkOf('::ffff:203.0.113.7'), '203.0.113.0/24');
  assert.equal(networkOf('2001:db8:12:34::1'), '2001:db8:12::/48');
  assert.equal(networkOf('2001:db8::'), '2001:db8:0::/48');
  assert.equal(networkOf('fe80::1%eth0'), 'fe80:0:0::/48');
  assert.equal(networkOf('not an address'), undefined);
  assert.equal(networkOf(undefined), undefined);
});
