import Holidays from 'date-holidays';

// Deadlines in business days (seed 000 §4: deletion within 7–15 business days). A business day is a weekday that
// is not a public holiday of the shop's country, counted on calendar dates in UTC.

export const DEFAULT_HOLIDAY_COUNTRY = 'US';

/** Target and due, in business days after receipt; a confirmed minor's erasure is due within one. */
export const SLA_DAYS = { standard: { target: 7, due: 15 }, minor: { target: 1, due: 1 } } as const;

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

export function deadlinesFor(receivedAt: Date, kind: keyof typeof SLA_DAYS, calendar = businessCalendar()): Deadline {
  const days = SLA_DAYS[kind];
  return { targetAt: calendar.addBusinessDays(receivedAt, days.target), dueAt: calendar.addBusinessDays(receivedAt, days.due) };
}

export type Urgency = 'done' | 'overdue' | 'due_soon' | 'past_target' | 'on_track';

/** How a request stands on `now`: business days left to its due date, and a word for its colour in the queue. */
export function urgencyOf(request: { targetAt: Date; dueAt: Date; completedAt: Date | null }, now: Date, calendar = businessCalendar()): { daysLeft: number; urgency: Urgency } {
  const daysLeft = calendar.businessDaysBetween(now, request.dueAt);
  if (request.completedAt) return { daysLeft, urgency: 'done' };
  if (now > request.dueAt) return { daysLeft, urgency: 'overdue' };
  if (daysLeft <= 2) return { daysLeft, urgency: 'due_soon' };
  if (now > request.targetAt) return { daysLeft, urgency: 'past_target' };
  return { daysLeft, urgency: 'on_track' };
}
