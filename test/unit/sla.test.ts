import assert from 'node:assert/strict';
import { test } from 'node:test';
import { businessCalendar, deadlinesFor, extendedDue, latestDue, requestSla, urgencyOf } from '../../src/privacy/requests/sla.ts';

// Business-day deadlines (seed 000 §4): weekends and US public holidays do not count.

const us = businessCalendar('US');
const policy = requestSla({ country: 'US', profile: 'policy' });
const day = (iso: string) => new Date(`${iso}T12:00:00Z`);
const dateOf = (at: Date) => at.toISOString().slice(0, 10);

test('weekends and US public holidays are not business days; observances are', () => {
  assert.equal(us.isBusinessDay(day('2026-11-28')), false, 'Saturday');
  assert.equal(us.isBusinessDay(day('2026-11-29')), false, 'Sunday');
  assert.equal(us.isBusinessDay(day('2026-11-26')), false, 'Thanksgiving');
  assert.equal(us.isBusinessDay(day('2026-12-25')), false, 'Christmas');
  assert.equal(us.isBusinessDay(day('2026-11-27')), true, 'the day after Thanksgiving is an observance');
  assert.equal(us.isBusinessDay(day('2026-11-30')), true, 'a Monday');
});

test('a request received the day before Thanksgiving is due 7 and 15 business days later, skipping the holidays', () => {
  // Wed 25 Nov 2026: 27 Nov, 30 Nov, 1–4 Dec, 7 Dec = 7; 8–11 Dec, 14–17 Dec = 15.
  const { targetAt, dueAt } = deadlinesFor(day('2026-11-25'), 'standard', policy);
  assert.equal(dateOf(targetAt), '2026-12-07');
  assert.equal(dateOf(dueAt), '2026-12-17');
  // Over Christmas and New Year: Fri 18 Dec + 15 skips 25 Dec and 1 Jan.
  assert.equal(dateOf(deadlinesFor(day('2026-12-18'), 'standard', policy).dueAt), '2027-01-12');
  // A minor's case is due the next business day: Friday → Monday.
  assert.equal(dateOf(deadlinesFor(day('2026-12-04'), 'minor', policy).dueAt), '2026-12-07');
});

test('days left count business days, and a request past its due date is overdue', () => {
  const deadline = deadlinesFor(day('2026-11-25'), 'standard', policy);
  const open = { ...deadline, completedAt: null };
  assert.deepEqual(urgencyOf(open, day('2026-11-25'), policy), { daysLeft: 15, urgency: 'on_track' });
  assert.equal(urgencyOf(open, day('2026-12-09'), policy).urgency, 'past_target');
  assert.deepEqual(urgencyOf(open, day('2026-12-16'), policy), { daysLeft: 1, urgency: 'due_soon' });
  assert.equal(urgencyOf(open, day('2026-12-18'), policy).urgency, 'overdue');
  assert.equal(urgencyOf({ ...deadline, completedAt: day('2026-12-01') }, day('2026-12-18'), policy).urgency, 'done');
});

test('the GDPR and CCPA profiles never set a due date past the policy’s 15 business days', () => {
  const received = day('2026-11-25');
  for (const profile of ['gdpr', 'ccpa'] as const) {
    const sla = requestSla({ country: 'US', profile });
    assert.equal(dateOf(deadlinesFor(received, 'standard', sla).dueAt), '2026-12-17', `${profile}: a month or 45 days is later than the policy's 15 business days`);
    assert.equal(dateOf(latestDue(received, sla)), '2026-12-17');
  }
});

test('on every day of two years, in several countries, no profile’s due date passes the policy’s 15 business days', () => {
  for (const country of ['US', 'DE', 'SE', 'JP']) {
    const calendar = businessCalendar(country);
    for (const profile of ['policy', 'gdpr', 'ccpa'] as const) {
      const sla = requestSla({ country, profile });
      for (let at = day('2026-01-01'); at < day('2028-01-01'); at = new Date(at.getTime() + 24 * 60 * 60 * 1000)) {
        const { targetAt, dueAt } = deadlinesFor(at, 'standard', sla);
        assert.ok(dueAt <= calendar.addBusinessDays(at, 15), `${country} ${profile} ${dateOf(at)}`);
        assert.ok(targetAt <= dueAt);
        assert.ok(extendedDue({ receivedAt: at, dueAt }, 15, sla) <= calendar.addBusinessDays(at, 15));
      }
    }
  }
});

test('an extension moves the due date by business days, never past the latest date allowed', () => {
  const minor = deadlinesFor(day('2026-12-04'), 'minor', policy);
  const received = { receivedAt: day('2026-12-04'), dueAt: minor.dueAt };
  assert.equal(dateOf(extendedDue(received, 3, policy)), '2026-12-10', 'Mon 7 Dec + 3 business days');
  assert.equal(dateOf(extendedDue(received, 15, policy)), dateOf(latestDue(received.receivedAt, policy)), 'capped at 15 business days from receipt');
  const standard = { receivedAt: day('2026-11-25'), dueAt: deadlinesFor(day('2026-11-25'), 'standard', policy).dueAt };
  assert.equal(dateOf(extendedDue(standard, 5, policy)), '2026-12-17', 'a request already due at the limit stays there');
});

test('the holiday country decides the business days', () => {
  const germany = requestSla({ country: 'DE', profile: 'policy' });
  assert.equal(germany.calendar.isBusinessDay(day('2026-10-03')), false, 'German Unity Day (a Saturday anyway)');
  assert.equal(germany.calendar.isBusinessDay(day('2026-12-26')), false);
  assert.equal(germany.calendar.isBusinessDay(day('2026-11-26')), true, 'Thanksgiving is an ordinary day in Germany');
});
