import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../src/platform/config.ts';
import { addSpan, DEFAULT_RULES, parseSpan, retentionRules, ruleFor, spanDays } from '../../src/privacy/retention/rules.ts';

test('the defaults keep what the policy promises: orders 3 years, tickets 12 months, within their maximums', () => {
  const rules = retentionRules();
  assert.deepEqual(ruleFor(rules, 'order').minimum, { amount: 3, unit: 'years' });
  assert.deepEqual(ruleFor(rules, 'ticket').minimum, { amount: 12, unit: 'months' });
  for (const rule of rules) {
    if (rule.minimum) assert.ok(spanDays(rule.maximum!) >= spanDays(rule.minimum), `${rule.kind}: maximum below minimum`);
  }
  assert.equal(rules.length, Object.keys(DEFAULT_RULES).length);
});

test('PLEDGE_RETENTION overrides maximums and minimums', () => {
  const rules = retentionRules('order.max=5y, ticket.max=18mo,analytics_day.max=30d');
  assert.deepEqual(ruleFor(rules, 'order').maximum, { amount: 5, unit: 'years' });
  assert.deepEqual(ruleFor(rules, 'ticket').maximum, { amount: 18, unit: 'months' });
  assert.deepEqual(ruleFor(rules, 'analytics_day').maximum, { amount: 30, unit: 'days' });
  assert.deepEqual(ruleFor(retentionRules('order.min=6y,order.max=7y'), 'order').minimum, { amount: 6, unit: 'years' });
});

test('a maximum below its minimum, an unknown kind or a malformed setting is refused with a clear message', () => {
  assert.throws(() => retentionRules('ticket.max=6mo'), (e: Error) => e instanceof ConfigError && /maximum for ticket \(6 months\) is below its minimum \(12 months\)/.test(e.message));
  assert.throws(() => retentionRules('order.max=2y'), /below its minimum \(3 years\)/);
  assert.throws(() => retentionRules('invoice.max=2y'), /unknown retention unit "invoice"/);
  assert.throws(() => retentionRules('order.max=forever'), /must be a number followed by d, mo or y/);
  assert.throws(() => retentionRules('order=3y'), /must look like kind\.min=3y/);
  // The setting is read from the environment like every other and checked when the shop starts.
  assert.equal(loadConfig({ PLEDGE_RETENTION: 'order.max=4y' }).retention, 'order.max=4y');
});

test('spans parse and move dates by calendar units', () => {
  assert.deepEqual(parseSpan('12mo'), { amount: 12, unit: 'months' });
  assert.equal(parseSpan('12 months'), undefined);
  assert.equal(addSpan(new Date('2028-02-29T00:00:00Z'), { amount: 1, unit: 'years' }).toISOString(), '2029-03-01T00:00:00.000Z');
  fc.assert(
    fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), fc.integer({ min: 1, max: 400 }), (date, days) => {
      const span = { amount: days, unit: 'days' as const };
      return addSpan(addSpan(date, span), span, -1).getTime() === date.getTime();
    }),
  );
});
