// The only source of "now" in Pledge. Retention, deadlines and policy dates are all tested by moving a test clock.

export type Clock = { now(): Date };

export const systemClock: Clock = { now: () => new Date() };

export type TestClock = Clock & { set(at: Date | string): void; advance(ms: number): void };

export function testClock(start: Date | string = '2026-01-05T09:00:00Z'): TestClock {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    set(at) {
      current = new Date(at).getTime();
    },
    advance(ms) {
      current += ms;
    },
  };
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Whether `zone` is an IANA time zone the runtime knows (Europe/Berlin, America/New_York, UTC). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
