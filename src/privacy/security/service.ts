import { randomUUID } from 'node:crypto';
import { and, arrayContains, asc, desc, eq, getTableColumns, gte, inArray, isNotNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { ConfigError, WEEKDAYS, type Config, type WorkingHours } from '../../platform/config.ts';
import { inTransaction, type Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/http/app.ts';
import { queueMail, type MailContext } from '../../platform/mail/service.ts';
import { FIELDS, ROLES, type Role } from '../access.ts';
import { auditEvents } from '../audit/schema.ts';
import { affectableColumns, inZone, openIncident, wallClockTime, type Incident, type Outcome } from '../incidents/service.ts';
import type { Category } from '../inventory.ts';
import { staffAccounts, staffSignInFailures } from '../staff/schema.ts';
import { LOCK_AFTER_FAILURES, staffEmail } from '../staff/service.ts';
import { keyringFrom, type VaultContext } from '../vault/service.ts';
import { justifications, unexplained, type AuditedRead } from './justifications.ts';
import { copyNetworks, securityAlertActions, securityAlerts, type AlertRule, type AlertStatus } from './schema.ts';

// Access anomalies, checked by a scheduled job over the audit trail, failed staff sign-ins and copy downloads. Each
// rule compares what it counts in a clock hour with a configured threshold; above it, an alert is raised once per
// rule, subject and hour, and every privacy officer is e-mailed. An alert holds staff account ids, counts, times,
// the setting in force and the reasoning: never whose data was read.

export type SecurityAlert = typeof securityAlerts.$inferSelect;
export type AlertActionRow = typeof securityAlertActions.$inferSelect;

export type ReadRates = Record<Role, number>;

/** Distinct subjects an hour each role normally reads; admin reads no personal data at all. */
export const DEFAULT_READ_RATES: ReadRates = { support: 60, fulfilment: 120, privacy_officer: 30, admin: 0 };

export type SecuritySettings = Omit<Config['security'], 'readRates'> & { readRates: ReadRates };

/** The settings in force: the default rates with PLEDGE_SECURITY_READ_RATES over them; an unknown role stops the shop. */
export function securitySettings(config: Config['security']): SecuritySettings {
  const unknown = Object.keys(config.readRates).filter((role) => !(ROLES as readonly string[]).includes(role));
  if (unknown.length > 0) throw new ConfigError(`PLEDGE_SECURITY_READ_RATES: unknown role "${unknown[0]}" (roles are ${ROLES.join(', ')})`);
  return { ...config, readRates: { ...DEFAULT_READ_RATES, ...config.readRates } };
}

export type SecurityContext = VaultContext & MailContext & { settings: SecuritySettings; shopName: string; baseUrl: string };

export function securityContext(platform: Platform): SecurityContext {
  const { database, clock, masterKey, jobs, sealer, config } = platform;
  return { db: database.db, clock, keys: keyringFrom(masterKey), jobs, sealer, settings: securitySettings(config.security), shopName: config.shop.name, baseUrl: config.baseUrl };
}

export const RULE_LABELS: Record<AlertRule, string> = {
  read_rate: 'More subjects read than the role’s normal rate',
  off_hours: 'Reads outside working hours',
  unjustified: 'Reads with nothing on record to explain them',
  failed_sign_ins: 'Repeated failed staff sign-ins',
  new_network: 'A copy downloaded from a new network',
};

// ── the settings, in words ───────────────────────────────────────────────────────────────────────────────────────

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** `Mon-Fri 08:00-18:00, Sat 09:00-13:00`: the setting as it is written. */
export function hoursWords(hours: readonly WorkingHours[]): string {
  return hours
    .map((h) => `${WEEKDAYS[h.days[0]! - 1]}${h.days.length > 1 ? `-${WEEKDAYS[h.days.at(-1)! - 1]}` : ''} ${hhmm(h.from)}-${hhmm(h.until)}`)
    .join(', ');
}

const lookedFor = () => justifications().map((j) => j.label).join('; ');

export type RuleInForce = { rule: AlertRule; label: string; setting: string; explanation: string };

/** Every rule with its setting and what it raises an alert for: the top of /admin/security. */
export function rulesInForce(settings: SecuritySettings): RuleInForce[] {
  const rates = ROLES.map((role) => `${role}=${settings.readRates[role]}`).join(',');
  const off = (what: string) => `off: ${what}`;
  return [
    { rule: 'read_rate', label: RULE_LABELS.read_rate, setting: `PLEDGE_SECURITY_READ_RATES ${rates}`, explanation: 'A staff account reads the personal data of more distinct subjects in a clock hour than its role’s rate (the highest of its roles).' },
    {
      rule: 'off_hours',
      label: RULE_LABELS.off_hours,
      setting: settings.workingHours ? `PLEDGE_SECURITY_WORKING_HOURS ${hoursWords(settings.workingHours)} (${settings.timeZone})` : 'PLEDGE_SECURITY_WORKING_HOURS unset',
      explanation: settings.workingHours ? 'Any read of personal data outside the working hours, in their time zone.' : off('no working hours are configured'),
    },
    {
      rule: 'unjustified',
      label: RULE_LABELS.unjustified,
      setting: `PLEDGE_SECURITY_UNJUSTIFIED_READS ${settings.unjustifiedReads ?? 'off'}`,
      explanation:
        settings.unjustifiedReads === null
          ? off('the setting is off')
          : `More than ${settings.unjustifiedReads} subjects in a clock hour read by one staff account with nothing on record to explain it (looked for: ${lookedFor()}).`,
    },
    {
      rule: 'failed_sign_ins',
      label: RULE_LABELS.failed_sign_ins,
      setting: `PLEDGE_SECURITY_FAILED_SIGN_INS ${settings.failedSignIns ?? 'off'}`,
      explanation: settings.failedSignIns === null ? off('the setting is off') : `More than ${settings.failedSignIns} failed sign-ins to one staff account in a clock hour.`,
    },
    {
      rule: 'new_network',
      label: RULE_LABELS.new_network,
      setting: `PLEDGE_SECURITY_NEW_NETWORK ${settings.newNetwork ? 'on' : 'off'}`,
      explanation: settings.newNetwork
        ? 'A prepared copy of someone’s data downloaded from a network (IPv4 /24, IPv6 /48) its request was never asked for or verified from; only keyed hashes of networks are kept.'
        : off('the setting is off'),
    },
  ];
}

// ── the rules ────────────────────────────────────────────────────────────────────────────────────────────────────

export const SECURITY_CHECK_JOB = 'security-check';
/** Each check looks at the hour under way and the 24 before it, so an hour a missed run skipped is still looked at. */
export const HOURS_LOOKED_BACK = 24;
const HOUR_MS = 60 * 60 * 1000;
const hourOf = (at: Date) => Math.floor(at.getTime() / HOUR_MS) * HOUR_MS;

type Finding = Pick<SecurityAlert, 'rule' | 'staffId' | 'requestId' | 'windowStart' | 'windowEnd' | 'observed' | 'threshold' | 'setting' | 'reasoning'> & { subject: string };

/** The highest rate among `roles`: someone with two roles may do the work of either. */
export function rateFor(rates: ReadRates, roles: Iterable<string>): { rate: number; role: string } {
  const known = [...roles].filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  return known.reduce((best, role) => (rates[role] > best.rate ? { rate: rates[role], role } : best), { rate: 0, role: known[0] ?? 'no role' });
}

// A formatter per zone: building one costs far more than formatting, and every read of an hour is placed.
const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** Weekday (1 = Monday) and minutes after midnight of `at` on the wall clock of `zone`. */
function wallClock(at: Date, zone: string): { day: number; minutes: number } {
  let format = wallClocks.get(zone);
  if (!format) wallClocks.set(zone, (format = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })));
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return { day: WEEKDAYS.indexOf(parts.weekday as (typeof WEEKDAYS)[number]) + 1, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

export function withinHours(hours: readonly WorkingHours[], zone: string, at: Date): boolean {
  const { day, minutes } = wallClock(at, zone);
  return hours.some((h) => h.days.includes(day) && minutes >= h.from && minutes < h.until);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

type HourOfReads = { staffId: string; start: Date; roles: Set<string>; reads: AuditedRead[] };

/** Staff reads since `from`, by staff account and clock hour. */
function byStaffAndHour(reads: readonly AuditedRead[]): HourOfReads[] {
  const groups = new Map<string, HourOfReads>();
  for (const read of reads) {
    const start = hourOf(read.at);
    const key = `${read.staffId}:${start}`;
    const group = groups.get(key) ?? { staffId: read.staffId, start: new Date(start), roles: new Set(), reads: [] };
    for (const role of read.staffRoles) group.roles.add(role);
    group.reads.push(read);
    groups.set(key, group);
  }
  return [...groups.values()];
}

const subjectsOf = (reads: readonly AuditedRead[]) => new Set(reads.map((r) => r.subjectUnitId)).size;

async function readFindings(ctx: SecurityContext, from: Date): Promise<Finding[]> {
  const { settings } = ctx;
  const reads = await ctx.db
    .select({ id: auditEvents.id, at: auditEvents.at, staffId: auditEvents.staffId, staffRoles: auditEvents.staffRoles, subjectUnitId: auditEvents.subjectUnitId, subjectKind: auditEvents.subjectKind, fields: auditEvents.fields, purpose: auditEvents.purpose })
    .from(auditEvents)
    .where(gte(auditEvents.at, from))
    .orderBy(asc(auditEvents.id));
  const unexplainedIds = settings.unjustifiedReads === null ? new Set<number>() : new Set((await unexplained(ctx.db, reads)).map((r) => r.id));
  const when = (at: Date) => inZone(at, settings.timeZone);
  const findings: Finding[] = [];
  for (const hour of byStaffAndHour(reads)) {
    const end = new Date(hour.start.getTime() + HOUR_MS);
    const base = { staffId: hour.staffId, requestId: null, windowStart: hour.start, windowEnd: end };
    const who = `Staff account ${hour.staffId} (${[...hour.roles].sort().join(', ') || 'no role'})`;
    const span = `in the hour from ${when(hour.start)}`;
    const subjects = subjectsOf(hour.reads);
    const { rate, role } = rateFor(settings.readRates, hour.roles);
    if (subjects > rate) {
      findings.push({
        ...base,
        rule: 'read_rate',
        subject: hour.staffId,
        observed: subjects,
        threshold: rate,
        setting: `PLEDGE_SECURITY_READ_RATES ${role}=${rate}`,
        reasoning: `${who} read the personal data of ${plural(subjects, 'distinct subject')} ${span}; the ${role} role normally reads at most ${rate} an hour.`,
      });
    }
    if (settings.workingHours) {
      const outside = hour.reads.filter((r) => !withinHours(settings.workingHours!, settings.timeZone, r.at));
      if (outside.length > 0) {
        findings.push({
          ...base,
          rule: 'off_hours',
          subject: hour.staffId,
          observed: subjectsOf(outside),
          threshold: 0,
          setting: `PLEDGE_SECURITY_WORKING_HOURS ${hoursWords(settings.workingHours)} (${settings.timeZone})`,
          reasoning: `${who} read the personal data of ${plural(subjectsOf(outside), 'subject')} outside working hours (${hoursWords(settings.workingHours)}, ${settings.timeZone}): ${plural(outside.length, 'read')}, the first at ${when(outside[0]!.at)}, the last at ${when(outside.at(-1)!.at)}.`,
        });
      }
    }
    const unjustified = hour.reads.filter((r) => unexplainedIds.has(r.id));
    if (settings.unjustifiedReads !== null && subjectsOf(unjustified) > settings.unjustifiedReads) {
      const purposes = [...new Set(unjustified.map((r) => r.purpose))].sort().join(', ');
      findings.push({
        ...base,
        rule: 'unjustified',
        subject: hour.staffId,
        observed: subjectsOf(unjustified),
        threshold: settings.unjustifiedReads,
        setting: `PLEDGE_SECURITY_UNJUSTIFIED_READS ${settings.unjustifiedReads}`,
        reasoning: `${who} read the personal data of ${plural(subjectsOf(unjustified), 'subject')} ${span} with nothing on record to explain it (looked for: ${lookedFor()}; purposes given: ${purposes}); at most ${settings.unjustifiedReads} such an hour are expected.`,
      });
    }
  }
  return findings;
}

async function signInFindings(ctx: SecurityContext, from: Date): Promise<Finding[]> {
  const threshold = ctx.settings.failedSignIns;
  if (threshold === null) return [];
  const failures = await ctx.db.select({ staffId: staffSignInFailures.staffId, at: staffSignInFailures.at }).from(staffSignInFailures).where(gte(staffSignInFailures.at, from));
  const counts = new Map<string, { staffId: string; start: number; count: number }>();
  for (const f of failures) {
    const key = `${f.staffId}:${hourOf(f.at)}`;
    const entry = counts.get(key) ?? { staffId: f.staffId, start: hourOf(f.at), count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  return [...counts.values()]
    .filter((c) => c.count > threshold)
    .map((c) => ({
      rule: 'failed_sign_ins',
      subject: c.staffId,
      staffId: c.staffId,
      requestId: null,
      windowStart: new Date(c.start),
      windowEnd: new Date(c.start + HOUR_MS),
      observed: c.count,
      threshold,
      setting: `PLEDGE_SECURITY_FAILED_SIGN_INS ${threshold}`,
      reasoning: `Sign-in to staff account ${c.staffId} failed ${plural(c.count, 'time')} in the hour from ${inZone(new Date(c.start), ctx.settings.timeZone)}; more than ${threshold} an hour is not a mistyped code (the account locks for a while after ${LOCK_AFTER_FAILURES} failures in a row).`,
    }));
}

async function downloadFindings(ctx: SecurityContext, from: Date): Promise<Finding[]> {
  if (!ctx.settings.newNetwork) return [];
  // With each download, the networks its request was asked for and verified from, in the same statement.
  const downloads = await ctx.db
    .select({
      id: copyNetworks.id,
      requestId: copyNetworks.requestId,
      at: copyNetworks.at,
      networks: sql<number>`(select count(distinct seen.network_hash)::int from ${copyNetworks} seen where seen.request_id = ${copyNetworks}.request_id and seen.event in ('asked', 'verified'))`,
    })
    .from(copyNetworks)
    .where(and(eq(copyNetworks.event, 'downloaded'), eq(copyNetworks.known, false), gte(copyNetworks.at, from)));
  const findings: Finding[] = [];
  for (const d of downloads) {
    findings.push({
      rule: 'new_network',
      subject: `download ${d.id}`,
      staffId: null,
      requestId: d.requestId,
      windowStart: d.at,
      windowEnd: d.at,
      observed: 1,
      threshold: 0,
      setting: 'PLEDGE_SECURITY_NEW_NETWORK on',
      reasoning: `The copy prepared for privacy request ${d.requestId} was downloaded at ${inZone(d.at, ctx.settings.timeZone)} from a network the request was never seen from: it was asked for and verified from ${plural(Number(d.networks), 'other network')}. Only keyed hashes of networks are kept, never an address.`,
    });
  }
  return findings;
}

// ── raising ──────────────────────────────────────────────────────────────────────────────────────────────────────

function alertMail(ctx: SecurityContext, alert: SecurityAlert): { subject: string; text: string } {
  return {
    subject: `${ctx.shopName}: security alert — ${RULE_LABELS[alert.rule]}`,
    text: [
      `A security alert was raised at ${ctx.shopName}: ${RULE_LABELS[alert.rule]}.`,
      '',
      alert.reasoning,
      '',
      `Observed: ${alert.observed}. Threshold: ${alert.threshold} (${alert.setting}).`,
      '',
      `Look at it, acknowledge or dismiss it, or open an incident from it: ${ctx.baseUrl}/admin/security/${alert.id}`,
      '',
      'This message names no customer: only staff account or request ids, counts and times.',
    ].join('\n'),
  };
}

/**
 * Records the finding as an alert, once per rule, subject and hour; a later check of an hour still under way raises
 * its count. A new alert is mailed to every privacy officer, in the same transaction. Answers the new alert.
 */
async function raise(ctx: SecurityContext, finding: Finding): Promise<SecurityAlert | undefined> {
  const { subject, ...values } = finding;
  return inTransaction(ctx.db, async (tx) => {
    const [row] = await tx
      .insert(securityAlerts)
      .values({ ...values, id: randomUUID(), raisedAt: ctx.clock.now(), dedupeKey: `${finding.rule}:${subject}:${finding.windowStart.toISOString()}` })
      .onConflictDoUpdate({
        target: securityAlerts.dedupeKey,
        set: { observed: sql`excluded.observed`, reasoning: sql`excluded.reasoning` },
        setWhere: sql`${securityAlerts.observed} < excluded.observed`,
      })
      .returning({ ...getTableColumns(securityAlerts), fresh: sql<boolean>`(xmax = 0)` });
    if (!row) return undefined;
    const { fresh, ...alert } = row;
    if (!fresh) return undefined;
    const vault = { ...ctx, db: tx };
    const officers = await tx.select({ id: staffAccounts.id }).from(staffAccounts).where(and(arrayContains(staffAccounts.roles, ['privacy_officer']), isNotNull(staffAccounts.passwordHash)));
    const mail = alertMail(ctx, alert);
    for (const officer of officers) {
      const to = await staffEmail(vault, officer.id);
      if (to) await queueMail(ctx, tx, `security-alert:${alert.id}:${officer.id}`, { to, ...mail });
    }
    return alert;
  });
}

/** The scheduled check: every rule over the hour under way and the 24 before it. Answers the new alerts. */
export async function checkAccess(ctx: SecurityContext): Promise<SecurityAlert[]> {
  const from = new Date(hourOf(ctx.clock.now()) - HOURS_LOOKED_BACK * HOUR_MS);
  const findings = [...(await readFindings(ctx, from)), ...(await signInFindings(ctx, from)), ...(await downloadFindings(ctx, from))];
  const raised: SecurityAlert[] = [];
  for (const finding of findings) {
    const alert = await raise(ctx, finding);
    if (alert) raised.push(alert);
  }
  return raised;
}

// ── reading and acting ───────────────────────────────────────────────────────────────────────────────────────────

export async function listAlerts(db: Executor): Promise<SecurityAlert[]> {
  return db.select().from(securityAlerts).orderBy(sql`${securityAlerts.status} in ('new', 'acknowledged') desc`, desc(securityAlerts.raisedAt)).limit(500);
}

export async function findAlert(db: Executor, id: string): Promise<SecurityAlert | undefined> {
  const [row] = await db.select().from(securityAlerts).where(eq(securityAlerts.id, id));
  return row;
}

export async function actionsOf(db: Executor, id: string): Promise<AlertActionRow[]> {
  return db.select().from(securityAlertActions).where(eq(securityAlertActions.alertId, id)).orderBy(asc(securityAlertActions.id));
}

const NoteForm = z.object({ note: z.string().trim().min(1, 'Say why (no personal data)').max(2000, 'Use at most 2,000 characters') });

/** Which statuses each action may leave: an alert is acknowledged once, and dismissed unless it opened an incident. */
const FROM: Record<'acknowledged' | 'dismissed', readonly AlertStatus[]> = { acknowledged: ['new'], dismissed: ['new', 'acknowledged'] };

/** Acknowledges or dismisses the alert with the officer's note, kept on its trail; a stale form is refused (409). */
export async function actOnAlert(ctx: { db: Executor; clock: SecurityContext['clock'] }, id: string, staffId: string, action: 'acknowledged' | 'dismissed', input: unknown): Promise<Outcome<AlertStatus>> {
  const parsed = NoteForm.safeParse(input ?? {});
  if (!parsed.success) return { ok: false, status: 400, errors: { note: parsed.error.issues[0]!.message } };
  return inTransaction(ctx.db, async (tx): Promise<Outcome<AlertStatus>> => {
    const [alert] = await tx.select().from(securityAlerts).where(eq(securityAlerts.id, id)).for('update');
    if (!alert) return { ok: false, status: 404, errors: {}, message: 'No such alert' };
    if (!FROM[action].includes(alert.status)) return { ok: false, status: 409, errors: {}, message: `This alert is ${alert.status} already` };
    await tx.update(securityAlerts).set({ status: action }).where(eq(securityAlerts.id, id));
    await tx.insert(securityAlertActions).values({ alertId: id, action, at: ctx.clock.now(), staffId, note: parsed.data.note });
    return { ok: true, value: action };
  });
}

const categoryOf = (field: string): Category | undefined => (FIELDS as Record<string, Category>)[field];

/**
 * The incident form as the alert fills it: its summary, the staff account, the window and the discovery in the
 * configured zone, and the inventory columns of the categories that account read in the window.
 */
export async function incidentDraft(ctx: SecurityContext, alert: SecurityAlert): Promise<Record<string, string | string[]>> {
  const zone = ctx.settings.timeZone;
  // An hour still under way ends now, rounded up to the form's minute so the last reads stay inside the window.
  const end = alert.windowEnd > ctx.clock.now() ? new Date(Math.ceil(ctx.clock.now().getTime() / 60_000) * 60_000) : alert.windowEnd;
  const read = alert.staffId
    ? await ctx.db
        .selectDistinct({ fields: auditEvents.fields })
        .from(auditEvents)
        .where(and(eq(auditEvents.staffId, alert.staffId), gte(auditEvents.at, alert.windowStart), sql`${auditEvents.at} <= ${end.toISOString()}::timestamptz`))
    : [];
  const categories = new Set(read.flatMap((r) => r.fields.map(categoryOf)).filter((c): c is Category => c !== undefined));
  return {
    alertId: alert.id,
    summary: `Security alert (${RULE_LABELS[alert.rule]}): ${alert.reasoning}`,
    consequences: '',
    columns: [...affectableColumns()].filter(([, category]) => categories.has(category)).map(([column]) => column),
    processors: [],
    staffIds: alert.staffId ?? '',
    zone,
    windowStart: wallClockTime(alert.windowStart, zone),
    windowEnd: wallClockTime(end, zone),
    discoveredAt: wallClockTime(alert.raisedAt, zone),
  };
}

/** Opens the incident from the form the alert filled, and marks the alert as having opened it, in one transaction. */
export async function openIncidentFromAlert(ctx: { db: Executor; clock: SecurityContext['clock'] }, alertId: string, staffId: string, input: unknown): Promise<Outcome<Incident>> {
  return openIncident(ctx, staffId, input, async (tx, incident) => {
    const [marked] = await tx
      .update(securityAlerts)
      .set({ status: 'incident', incidentId: incident.id })
      .where(and(eq(securityAlerts.id, alertId), inArray(securityAlerts.status, ['new', 'acknowledged'])))
      .returning({ id: securityAlerts.id });
    if (!marked) return 'This alert was dismissed or has opened an incident already';
    await tx.insert(securityAlertActions).values({ alertId, action: 'incident', at: ctx.clock.now(), staffId, note: `Incident ${incident.id} opened` });
    return undefined;
  });
}
