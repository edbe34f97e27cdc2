import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY_MS, testClock } from '../../src/platform/clock.ts';

test('a test clock stands still until set or advanced', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  assert.equal(clock.now().toISOString(), '2026-03-01T10:00:00.000Z');
  clock.advance(DAY_MS);
  assert.equal(clock.now().toISOString(), '2026-03-02T10:00:00.000Z');
  clock.set('2030-01-01T00:00:00Z');
  assert.equal(clock.now().getUTCFullYear(), 2030);
});

test('now() hands out copies: changing one does not move the clock', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  clock.now().setFullYear(1999);
  assert.equal(clock.now().getUTCFullYear(), 2026);
});
