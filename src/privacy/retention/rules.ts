import { ConfigError } from '../../platform/config.ts';
import type { RetentionUnitKind } from '../inventory.ts';

// Retention rules as data: for each kind of retention unit, the event its clock starts from, the minimum it must be
// kept (a promise of the policy or a legal term) and the maximum by which it must be gone. The sweep enforces the
// maximum, the privacy policy page prints both, and the conformance report checks the database against them.

export type SpanUnit = 'days' | 'months' | 'years';
export type Span = { amount: number; unit: SpanUnit };

export type RetentionRule = {
  kind: RetentionUnitKind;
  /** What starts the clock, in the customer's words. */
  startsAt: string;
  /** Kept at least this long after the start event, and why; null when nothing requires keeping it. */
  minimum: Span | null;
  minimumWhy: string | null;
  /** Gone by this long after the start event; null for units with no automatic expiry (staff accounts). */
  maximum: Span | null;
  /** What happens when the maximum passes, in the customer's words. */
  atMaximum: string;
};

type Default = Omit<RetentionRule, 'kind'>;

const years = (amount: number): Span => ({ amount, unit: 'years' });
const months = (amount: number): Span => ({ amount, unit: 'months' });
const days = (amount: number): Span => ({ amount, unit: 'days' });

/** The defaults (DESIGN.md §1, seed 000 §4); every maximum and minimum can be changed with PLEDGE_RETENTION. */
export const DEFAULT_RULES: Record<RetentionUnitKind, Default> = {
  order: {
    startsAt: 'the last activity on the order (payment, delivery, return or refund)',
    minimum: years(3),
    minimumWhy: 'after-sales service and tax and commercial law (seed 000 §4)',
    maximum: years(3),
    atMaximum: 'its key is destroyed; only the date, the destination country, the items and the totals stay, as anonymous sales records',
  },
  ticket: {
    startsAt: 'the ticket being closed',
    minimum: months(12),
    minimumWhy: 'later questions about the same matter and service improvement (seed 000 §4)',
    maximum: months(24),
    atMaximum: 'the ticket, its messages and its key are deleted',
  },
  account: {
    startsAt: 'the last sign-in or order',
    minimum: null,
    minimumWhy: null,
    maximum: years(3),
    atMaximum: 'the account, its address book and its sessions are deleted, after a warning e-mail 30 days before',
  },
  consent_record: {
    startsAt: 'the choice being replaced by a newer one (or made, for the choice in force)',
    minimum: null,
    minimumWhy: null,
    maximum: years(3),
    atMaximum: 'the record of the choice and its key are deleted',
  },
  analytics_day: {
    startsAt: 'the day of the page views',
    minimum: null,
    minimumWhy: null,
    maximum: months(13),
    atMaximum: 'the day’s views are deleted',
  },
  outbox_message: {
    startsAt: 'the e-mail being written',
    minimum: null,
    minimumWhy: null,
    maximum: days(90),
    atMaximum: 'the e-mail is deleted',
  },
  export_file: {
    startsAt: 'the copy being prepared',
    minimum: null,
    minimumWhy: null,
    maximum: days(7),
    atMaximum: 'the file and its key are deleted',
  },
  incident: {
    startsAt: 'the incident being closed',
    minimum: null,
    minimumWhy: null,
    maximum: years(5),
    atMaximum: 'the incident, its steps, its record of who was notified and the alerts that opened it are deleted',
  },
  security_alert: {
    startsAt: 'the alert being raised (an alert that opened an incident is kept with the incident)',
    minimum: null,
    minimumWhy: null,
    maximum: years(1),
    atMaximum: 'the alert and its trail are deleted',
  },
  staff: {
    startsAt: 'the staff account being closed by an admin',
    minimum: null,
    minimumWhy: null,
    maximum: null,
    atMaximum: 'staff accounts are removed by an admin when the person leaves',
  },
};

/** Warned this long before an inactive account is erased (seed 000 §9's spirit: nobody loses an account unawares). */
export const INACTIVITY_WARNING_DAYS = 30;

const SPAN = /^(\d{1,4})(d|mo|y)$/;
const SPAN_UNITS: Record<string, SpanUnit> = { d: 'days', mo: 'months', y: 'years' };

/** `30d`, `12mo`, `3y`. */
export function parseSpan(text: string): Span | undefined {
  const m = SPAN.exec(text.trim());
  if (!m) return undefined;
  return { amount: Number(m[1]), unit: SPAN_UNITS[m[2]!]! };
}

export function describeSpan(span: Span): string {
  const unit = span.amount === 1 ? span.unit.slice(0, -1) : span.unit;
  return `${span.amount} ${unit}`;
}

/** `date` moved by `span` (`sign` -1 goes back), in UTC calendar terms: 3 years after 29 Feb is 1 Mar. */
export function addSpan(date: Date, span: Span, sign: 1 | -1 = 1): Date {
  const d = new Date(date);
  const n = span.amount * sign;
  if (span.unit === 'days') d.setUTCDate(d.getUTCDate() + n);
  else if (span.unit === 'months') d.setUTCMonth(d.getUTCMonth() + n);
  else d.setUTCFullYear(d.getUTCFullYear() + n);
  return d;
}

/** Comparable length in days (a month as 30.44, a year as 365.25): enough to order two spans. */
export function spanDays(span: Span): number {
  return span.amount * (span.unit === 'days' ? 1 : span.unit === 'months' ? 30.44 : 365.25);
}

/**
 * The rules in force: the defaults with the PLEDGE_RETENTION setting applied, e.g. `order.max=5y,ticket.max=18mo`.
 * A malformed setting, an unknown kind, or a maximum below its minimum stops the shop at start with a clear error.
 */
export function retentionRules(setting: string | undefined = undefined): RetentionRule[] {
  const rules = Object.fromEntries(Object.entries(DEFAULT_RULES).map(([kind, rule]) => [kind, { kind, ...rule }])) as Record<RetentionUnitKind, RetentionRule>;
  for (const part of (setting ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([a-z_]+)\.(min|max)=(.+)$/.exec(part);
    if (!m) throw new ConfigError(`PLEDGE_RETENTION: "${part}" must look like kind.min=3y or kind.max=18mo`);
    const [, kind, bound, value] = m as unknown as [string, string, 'min' | 'max', string];
    if (!(kind in rules)) throw new ConfigError(`PLEDGE_RETENTION: unknown retention unit "${kind}" (one of ${Object.keys(rules).join(', ')})`);
    const span = parseSpan(value);
    if (!span) throw new ConfigError(`PLEDGE_RETENTION: "${value}" in "${part}" must be a number followed by d, mo or y (30d, 12mo, 3y)`);
    const rule = rules[kind as RetentionUnitKind];
    if (bound === 'min') rule.minimum = span;
    else rule.maximum = span;
  }
  for (const rule of Object.values(rules)) {
    if (rule.minimum && !rule.maximum) throw new ConfigError(`PLEDGE_RETENTION: ${rule.kind} has a minimum but no maximum`);
    if (rule.minimum && rule.maximum && spanDays(rule.maximum) < spanDays(rule.minimum)) {
      throw new ConfigError(
        `PLEDGE_RETENTION: the maximum for ${rule.kind} (${describeSpan(rule.maximum)}) is below its minimum (${describeSpan(rule.minimum)}); it must be kept at least ${describeSpan(rule.minimum)}`,
      );
    }
  }
  return Object.values(rules);
}

export function ruleFor(rules: readonly RetentionRule[], kind: RetentionUnitKind): RetentionRule {
  const rule = rules.find((r) => r.kind === kind);
  if (!rule) throw new Error(`no retention rule for ${kind}`);
  return rule;
}
