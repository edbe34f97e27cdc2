import Holidays from 'date-holidays';
import type { Config } from '../../platform/config.ts';

// Deadlines in business days (seed 000 §4: deletion within 7–15 business days). A business day is a weekday that
// is not a public holiday of the shop's country, counted on calendar dates in UTC.

export const DEFAULT_HOLIDAY_COUNTRY = 'US';

/** Target and due, in business days after receipt; a confirmed minor's erasure is due within one. */
export const SLA_DAYS = { standard: { target: 7, due: 15 }, minor: { target: 1, due: 1 } } as const;

/** The most business days one extension may ask for; `latestDue` may still allow fewer. */
export const MAX_EXTENSION_DAYS = 15;

const DAY_MS = 24 * 60 * 60 * 1000;

const startOfDay = (at: Date) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
const dateKey = (day: Date) => day.toISOString().slice(0, 10);

export type BusinessCalendar = {
  isBusinessDay(day: Date): boolean;
  /** The end of the `n`th business day after the day of `from`. */
  addBusinessDays(from: Date, n: number): Date;
  /** Business days from the day of `from` to the day of `to`: 0 on the same day, negative when `to` is past. */
  businessDaysBetween(from: Date, to: Date): number;
};

const calendars = new Map<string, BusinessCalendar>();

export function businessCalendar(country: string = DEFAULT_HOLIDAY_COUNTRY): BusinessCalendar {
  const known = calendars.get(country);
  if (known) return known;
  const source = new Holidays(country);
  const byYear = new Map<number, Set<string>>();
  const publicHolidays = (year: number) => {
    let days = byYear.get(year);
    if (!days) {
      // Only public holidays close the office; observances (the day after Thanksgiving) do not.
      days = new Set((source.getHolidays(year) || []).filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10)));
      byYear.set(year, days);
    }
    return days;
  };
  const isBusinessDay = (day: Date) => {
    const weekday = day.getUTCDay();
    return weekday !== 0 && weekday !== 6 && !publicHolidays(day.getUTCFullYear()).has(dateKey(day));
  };
  const calendar: BusinessCalendar = {
    isBusinessDay,
    addBusinessDays(from, n) {
      let day = startOfDay(from);
      for (let counted = 0; counted < n; ) {
        day = new Date(day.getTime() + DAY_MS);
        if (isBusinessDay(day)) counted++;
      }
      return new Date(day.getTime() + DAY_MS - 1);
    },
    businessDaysBetween(from, to) {
      const [a, b, sign] = from <= to ? [startOfDay(from), startOfDay(to), 1] : [startOfDay(to), startOfDay(from), -1];
      let count = 0;
      for (let day = a; day < b; ) {
        day = new Date(day.getTime() + DAY_MS);
        if (isBusinessDay(day)) count++;
      }
      return sign * count;
    },
  };
  calendars.set(country, calendar);
  return calendar;
}

export type Deadline = { targetAt: Date; dueAt: Date };

export type SlaProfile = Config['dsr']['profile'];

const endOfDay = (at: Date) => new Date(startOfDay(at).getTime() + DAY_MS - 1);

/** The latest day each profile's law allows for an answer, before the policy's own limit is applied. */
const PROFILE_LIMITS: Record<SlaProfile, { words: string; limit(receivedAt: Date, calendar: BusinessCalendar): Date }> = {
  policy: { words: 'the privacy policy: 15 business days', limit: (receivedAt, calendar) => calendar.addBusinessDays(receivedAt, SLA_DAYS.standard.due) },
  gdpr: {
    words: 'GDPR: one calendar month',
    limit(receivedAt) {
      // The same date next month, or that month's last day when it has no such date (31 January → 28 February).
      const year = receivedAt.getUTCFullYear();
      const month = receivedAt.getUTCMonth() + 1;
      const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
      return endOfDay(new Date(Date.UTC(year, month, Math.min(receivedAt.getUTCDate(), lastDay))));
    },
  },
  ccpa: { words: 'CCPA: 45 calendar days', limit: (receivedAt) => endOfDay(new Date(receivedAt.getTime() + 45 * DAY_MS)) },
};

/** The deadline rules in force: the holiday country and the profile, chosen by PLEDGE_DSR_COUNTRY and PLEDGE_DSR_PROFILE. */
export type RequestSla = { country: string; profile: SlaProfile; calendar: BusinessCalendar };

export function requestSla(settings: Config['dsr']): RequestSla {
  return { ...settings, calendar: businessCalendar(settings.country) };
}

export const DEFAULT_SLA = requestSla({ country: DEFAULT_HOLIDAY_COUNTRY, profile: 'policy' });

/** How the queue names the rules: "GDPR: one calendar month, never later than the policy's 15 business days (US holidays)". */
export function slaWords(sla: RequestSla): string {
  const limit = sla.profile === 'policy' ? PROFILE_LIMITS.policy.words : `${PROFILE_LIMITS[sla.profile].words}, never later than the policy’s 15 business days`;
  return `${limit}; target ${SLA_DAYS.standard.target} business days (${sla.country} holidays)`;
}

/**
 * The latest a request received at `receivedAt` may ever be due, extensions included: the stricter of the profile's
 * legal limit and the policy's promise of 15 business days (seed 000 §4). No deadline is ever set past it.
 */
export function latestDue(receivedAt: Date, sla: RequestSla): Date {
  const policy = PROFILE_LIMITS.policy.limit(receivedAt, sla.calendar);
  const profile = PROFILE_LIMITS[sla.profile].limit(receivedAt, sla.calendar);
  return profile < policy ? profile : policy;
}

export function deadlinesFor(receivedAt: Date, kind: keyof typeof SLA_DAYS, sla: RequestSla): Deadline {
  const ceiling = latestDue(receivedAt, sla);
  const days = SLA_DAYS[kind];
  const earlier = (at: Date) => (at < ceiling ? at : ceiling);
  return { targetAt: earlier(sla.calendar.addBusinessDays(receivedAt, days.target)), dueAt: earlier(sla.calendar.addBusinessDays(receivedAt, days.due)) };
}

/** A due date moved `days` business days later, but never past `latestDue`. */
export function extendedDue(request: { receivedAt: Date; dueAt: Date }, days: number, sla: RequestSla): Date {
  const ceiling = latestDue(request.receivedAt, sla);
  const moved = sla.calendar.addBusinessDays(request.dueAt, days);
  return moved < ceiling ? moved : ceiling;
}

export type Urgency = 'done' | 'overdue' | 'due_soon' | 'past_target' | 'on_track';

/** How a request stands on `now`: business days left to its due date, and a word for its colour in the queue. */
export function urgencyOf(request: { targetAt: Date; dueAt: Date; completedAt: Date | null }, now: Date, sla: RequestSla): { daysLeft: number; urgency: Urgency } {
  const daysLeft = sla.calendar.businessDaysBetween(now, request.dueAt);
  if (request.completedAt) return { daysLeft, urgency: 'done' };
  if (now > request.dueAt) return { daysLeft, urgency: 'overdue' };
  if (daysLeft <= 2) return { daysLeft, urgency: 'due_soon' };
  if (now > request.targetAt) return { daysLeft, urgency: 'past_target' };
  return { daysLeft, urgency: 'on_track' };
}
