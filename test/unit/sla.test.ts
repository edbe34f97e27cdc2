import assert from 'node:assert/strict';
import { test } from 'node:test';
import { businessCalendar, deadlinesFor, urgencyOf } from '../../src/privacy/requests/sla.ts';

// Business-day deadlines (seed 000 §4): weekends and US public holidays do not count.

const us = businessCalendar('US');
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
  const { targetAt, dueAt } = deadlinesFor(day('2026-11-25'), 'standard', us);
  assert.equal(dateOf(targetAt), '2026-12-07');
  assert.equal(dateOf(dueAt), '2026-12-17');
  // Over Christmas and New Year: Fri 18 Dec + 15 skips 25 Dec and 1 Jan.
  assert.equal(dateOf(deadlinesFor(day('2026-12-18'), 'standard', us).dueAt), '2027-01-12');
  // A minor's case is due the next business day: Friday → Monday.
  assert.equal(dateOf(deadlinesFor(day('2026-12-04'), 'minor', us).dueAt), '2026-12-07');
});

test('days left count business days, and a request past its due date is overdue', () => {
  const deadline = deadlinesFor(day('2026-11-25'), 'standard', us);
  const open = { ...deadline, completedAt: null };
  assert.deepEqual(urgencyOf(open, day('2026-11-25'), us), { daysLeft: 15, urgency: 'on_track' });
  assert.equal(urgencyOf(open, day('2026-12-09'), us).urgency, 'past_target');
  assert.deepEqual(urgencyOf(open, day('2026-12-16'), us), { daysLeft: 1, urgency: 'due_soon' });
  assert.equal(urgencyOf(open, day('2026-12-18'), us).urgency, 'overdue');
  assert.equal(urgencyOf({ ...deadline, completedAt: day('2026-12-01') }, day('2026-12-18'), us).urgency, 'done');
});
