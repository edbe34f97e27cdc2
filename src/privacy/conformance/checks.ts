import { sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import { classificationOf, classifiedTables, type PersonalColumn } from '../../platform/db/classification.ts';
import { inTransaction, queryRows, type Db } from '../../platform/db/index.ts';
import { assertMayReadField, FIELDS, type Field, type StaffActor } from '../access.ts';
import { verifyAuditChain } from '../audit/service.ts';
import { MARKETING_EMAIL_REVISION } from '../consent/service.ts';
import { COOKIE_CATEGORIES, COOKIES, OPTIONAL_CATEGORIES } from '../cookies.ts';
import { CATEGORIES, FORBIDDEN_CATEGORIES, inventoryProblems, PROCESSORS, PURPOSES, RETENTION_UNITS, type Processor, type Purpose, type RetentionUnitKind } from '../inventory.ts';
import { SLA_DAYS, type RequestSla } from '../requests/sla.ts';
import { describeSpan, ruleFor, spanDays, type RetentionRule, type Span } from '../retention/rules.ts';
import type { KindCensus } from '../retention/sweep.ts';
import { policyDrift, versionInForce } from '../policy/service.ts';
import type { PolicyFacts } from '../policy/facts.ts';
import { registeredKinds } from '../units.ts';
import { isErased, loadKeys, openJson, type Keyring } from '../vault/service.ts';

// The checks behind the conformance report: for each clause of the two seed policies (ids as in DESIGN.md §1), the
// promise in words and a check of the running database against it. Every check reads live state; its evidence is
// counts, ids, column and field names, never a value that could be someone's data.

export type ConformanceContext = {
  db: Db;
  clock: Clock;
  keys: Keyring;
  rules: readonly RetentionRule[];
  /** The shop's contact details as configured (seed 000 §10, seed 003 §3). */
  contact: { email: string; phone: string };
  production: boolean;
  /** The request deadlines in force: business days counted on the configured country's calendar. */
  sla: RequestSla;
  /** The shop's public address: in production it must be https, where cookies are Secure and HSTS is sent. */
  baseUrl: string;
  /** The policy's facts as the code and configuration give them now, to compare with the published version's. */
  facts: PolicyFacts;
  /** Each swept unit kind's counts, overdue and held units (the retention engine's census of the shop's clocks). */
  census: () => Promise<KindCensus[]>;
};

export type Finding = { passed: boolean; evidence: string[] };

export type Check = { clause: string; topic: string; promise: string; run(ctx: ConformanceContext): Promise<Finding> };

/** Any problem fails the clause, and the problems are its evidence; a clause kept shows the facts that show it. */
function finding(problems: readonly string[], facts: readonly string[]): Finding {
  return problems.length > 0 ? { passed: false, evidence: [...problems] } : { passed: true, evidence: [...facts] };
}

/** A few ids of the offending rows, enough to find them, and how many more there are. */
function someIds(ids: readonly (string | number)[], shown = 5): string {
  const more = ids.length - shown;
  return ids.slice(0, shown).join(', ') + (more > 0 ? ` and ${more} more` : '');
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const count = async (db: Db, query: SQL): Promise<number> => Number((await queryRows<{ n: number | string }>(db, query))[0]?.n ?? 0);

type LiveColumn = { table_name: string; column_name: string; data_type: string };

const liveColumns = (db: Db) =>
  queryRows<LiveColumn>(db, sql`select table_name, column_name, data_type from information_schema.columns where table_schema = 'public' order by 1, 2`);

function personalColumns(): { table: string; column: string; declared: PersonalColumn }[] {
  return classifiedTables().flatMap(({ table, columns }) =>
    Object.entries(columns).flatMap(([column, c]) => (c.personal ? [{ table, column, declared: c }] : [])),
  );
}

/** A span as a PostgreSQL interval ('3 years'); PostgreSQL's calendar arithmetic never lands later than `addSpan`'s. */
const interval = (span: Span) => `${span.amount} ${span.unit}`;

// ── 000 §1 and §2: what is collected, and what it is used for ────────────────────────────────────────────────────

const collected: Check = {
  clause: '000-1',
  topic: 'what is collected',
  promise: 'Only account details, order and transaction details, customer-service records and system data are collected, and every personal column says which.',
  async run(ctx) {
    const live = await liveColumns(ctx.db);
    const unclassified = live.filter((c) => !classificationOf(c.table_name)?.columns[c.column_name]).map((c) => `${c.table_name}.${c.column_name}`);
    const personal = personalColumns();
    const unknown = personal.filter((p) => !(p.declared.category in CATEGORIES)).map((p) => `${p.table}.${p.column} (${p.declared.category})`);
    const inUse = [...new Set(personal.map((p) => p.declared.category))].sort();
    return finding(
      [...(unclassified.length > 0 ? [`unclassified columns: ${someIds(unclassified, 10)}`] : []), ...(unknown.length > 0 ? [`categories the policy does not name: ${someIds(unknown, 10)}`] : [])],
      [
        `${live.length} columns in ${new Set(live.map((c) => c.table_name)).size} tables, each classified`,
        `${personal.length} personal columns in ${inUse.length} categories: ${inUse.join(', ')}`,
      ],
    );
  },
};

type ReadGroup = { purpose: string; fields: string[]; staff_roles: string[]; n: number | string; first: number };

/** Staff reads grouped by what was read, why and by which roles: few groups however long the trail. */
const readGroups = (db: Db) =>
  queryRows<ReadGroup>(db, sql`select purpose, fields, staff_roles, count(*) as n, min(id) as first from audit_event group by 1, 2, 3 order by 5`);

function unknownFields(fields: readonly string[]): string[] {
  return fields.filter((f) => !(f in FIELDS));
}

const purposes: Check = {
  clause: '000-2',
  topic: 'use for declared purposes only',
  promise: 'Personal data is used only for order processing, after-sales service, support, optimising the service and order notifications; never for unauthorised purposes.',
  async run(ctx) {
    const reads = await readGroups(ctx.db);
    const problems: string[] = [];
    for (const r of reads) {
      if (!(r.purpose in PURPOSES)) problems.push(`staff read ${r.first}: purpose ${r.purpose} is not on the closed list`);
      else {
        const misused = r.fields.filter((f) => f in FIELDS && !(CATEGORIES[FIELDS[f as Field]].purposes as readonly string[]).includes(r.purpose));
        if (misused.length > 0) problems.push(`staff read ${r.first}: ${misused.join(', ')} may not be used for ${r.purpose}`);
      }
      const unknown = unknownFields(r.fields);
      if (unknown.length > 0) problems.push(`staff read ${r.first}: fields the inventory does not know (${unknown.join(', ')})`);
    }
    const disclosed = await queryRows<{ purpose: string; n: number | string; first: number }>(ctx.db, sql`select purpose, count(*) as n, min(id) as first from disclosure group by 1`);
    for (const d of disclosed) if (!(d.purpose in PURPOSES)) problems.push(`disclosure ${d.first}: purpose ${d.purpose} is not on the closed list`);
    const readCount = reads.reduce((sum, r) => sum + Number(r.n), 0);
    const disclosureCount = disclosed.reduce((sum, d) => sum + Number(d.n), 0);
    return finding(problems, [
      `${plural(readCount, 'staff read')} of personal data, each for a purpose its fields may serve`,
      `${plural(disclosureCount, 'disclosure')}, each for a declared purpose`,
      `${Object.keys(PURPOSES).length} purposes on the closed list`,
    ]);
  },
};

// ── 000 §3 and 003 §1: sharing, never selling ────────────────────────────────────────────────────────────────────

type DisclosureGroup = { processor: string | null; fields: string[]; n: number | string; ids: number[] };

const sharing: Check = {
  clause: '000-3',
  topic: 'sharing within each processor’s allow-list',
  promise: 'Payment and logistics providers receive only what order processing needs; other disclosures only where the law requires.',
  async run(ctx) {
    const groups = await queryRows<DisclosureGroup>(
      ctx.db,
      sql`select processor, fields, count(*) as n, (array_agg(id order by id))[1:6] as ids from disclosure group by 1, 2 order by 1, 2`,
    );
    const problems: string[] = [];
    const byRecipient = new Map<string, number>();
    for (const g of groups) {
      const recipient = g.processor ?? 'legal';
      byRecipient.set(recipient, (byRecipient.get(recipient) ?? 0) + Number(g.n));
      const allowed: readonly string[] = g.processor === null ? Object.keys(FIELDS) : (PROCESSORS[g.processor as Processor]?.fields ?? []);
      if (g.processor !== null && !(g.processor in PROCESSORS)) problems.push(`disclosures ${someIds(g.ids)}: ${g.processor} is not a declared processor`);
      const extra = g.fields.filter((f) => !allowed.includes(f));
      if (extra.length > 0) problems.push(`disclosures ${someIds(g.ids)} (${recipient}): ${extra.join(', ')} outside the allow-list`);
    }
    const total = [...byRecipient.values()].reduce((a, b) => a + b, 0);
    const split = [...byRecipient].map(([recipient, n]) => `${recipient} ${n}`).join(', ');
    return finding(problems, [`${plural(total, 'disclosure')} in the ledger${split ? ` (${split})` : ''}, each within its recipient’s allow-list`]);
  },
};

const neverSold: Check = {
  clause: '003-1',
  topic: 'never sold, only declared recipients',
  promise: 'Visitors’, registered users’ and customers’ information is never sold or disclosed without authorisation.',
  async run(ctx) {
    const saleWords = /\b(sale|sell|selling|sold|broker|resale)\b/i;
    const salePurposes = Object.entries(PURPOSES).filter(([key, label]) => saleWords.test(key.replaceAll('_', ' ')) || saleWords.test(label)).map(([key]) => key);
    const undeclared = personalColumns().flatMap((p) => (p.declared.processors ?? []).filter((proc) => !(proc in PROCESSORS)).map((proc) => `${p.table}.${p.column} → ${proc}`));
    const recipients = await queryRows<{ processor: string; n: number | string }>(ctx.db, sql`select processor, count(*) as n from disclosure where processor is not null group by 1`);
    const unknownRecipients = recipients.filter((r) => !(r.processor in PROCESSORS)).map((r) => `${r.processor} (${r.n})`);
    return finding(
      [
        ...(salePurposes.length > 0 ? [`purposes that sell data: ${salePurposes.join(', ')}`] : []),
        ...(undeclared.length > 0 ? [`columns naming undeclared processors: ${someIds(undeclared)}`] : []),
        ...(unknownRecipients.length > 0 ? [`disclosures to undeclared recipients: ${unknownRecipients.join(', ')}`] : []),
      ],
      [
        `no purpose on the closed list of ${Object.keys(PURPOSES).length} sells data`,
        `processors: ${Object.keys(PROCESSORS).join(', ')}; the ledger names no other`,
      ],
    );
  },
};

// ── 000 §4: retention and deletion ───────────────────────────────────────────────────────────────────────────────

/** The seed's minimum for a kind: the configured rule must keep at least this long. */
function minimumProblems(rule: RetentionRule, promised: Span): string[] {
  if (rule.minimum && spanDays(rule.minimum) >= spanDays(promised)) return [];
  return [`the ${rule.kind} rule keeps ${rule.minimum ? describeSpan(rule.minimum) : 'no minimum'}, less than the promised ${describeSpan(promised)}`];
}

function ruleFacts(rule: RetentionRule): string {
  return `rule: kept at least ${rule.minimum ? describeSpan(rule.minimum) : '—'}, gone ${rule.maximum ? describeSpan(rule.maximum) : '—'} after ${rule.startsAt}`;
}

const KIND_WORDS: Record<RetentionUnitKind, [string, string]> = {
  order: ['order', 'orders'],
  ticket: ['ticket', 'tickets'],
  account: ['account', 'accounts'],
  consent_record: ['consent record', 'consent records'],
  analytics_day: ['day of page views', 'days of page views'],
  outbox_message: ['e-mail', 'e-mails'],
  export_file: ['prepared copy', 'prepared copies'],
  incident: ['incident', 'incidents'],
  security_alert: ['security alert', 'security alerts'],
  staff: ['staff account', 'staff accounts'],
};

/** What the census says of `kinds`: units past their maximum and not held fail; held ones and the next expiry are told. */
async function maximumFindings(ctx: ConformanceContext, kinds: readonly RetentionUnitKind[]): Promise<{ problems: string[]; facts: string[] }> {
  const census = await ctx.census();
  const problems: string[] = [];
  const facts: string[] = [];
  for (const kind of kinds) {
    const [one, many] = KIND_WORDS[kind];
    const counted = census.find((c) => c.kind === kind);
    if (!counted) {
      problems.push(`no retention clock counts ${many}: nothing takes them away at their maximum`);
      continue;
    }
    const maximum = counted.rule.maximum ? describeSpan(counted.rule.maximum) : 'no maximum';
    if (counted.overdue > 0) problems.push(`${plural(counted.overdue, one, many)} past the maximum (${maximum}) and not under a legal hold`);
    const next = counted.nextExpiry ? `; next expiry ${counted.nextExpiry.toISOString().slice(0, 10)}` : '';
    facts.push(`${plural(counted.total, one, many)} holding personal data, none past the maximum of ${maximum} unless held (${counted.held} held)${next}`);
  }
  return { problems, facts };
}

const ordersKept: Check = {
  clause: '000-4.1',
  topic: 'orders kept at least 3 years',
  promise: 'Order-related information is retained for at least 3 years for after-sales processing and legal compliance, and no longer than the configured maximum.',
  async run(ctx) {
    const rule = ruleFor(ctx.rules, 'order');
    const problems = minimumProblems(rule, { amount: 3, unit: 'years' });
    const early = rule.minimum
      ? await queryRows<{ number: string }>(
          ctx.db,
          sql`select o.number from "order" o join erasure_journal j on j.unit_id = o.unit_id
              where j.reason ilike '%retention%' and j.erased_at < o.last_activity_at + ${interval(rule.minimum)}::interval
                and not exists (select 1 from unit_key k where k.unit_id = o.unit_id)
              order by o.number`,
        )
      : [];
    if (early.length > 0) problems.push(`orders shredded by retention before their minimum: ${someIds(early.map((o) => o.number))}`);
    const maximum = await maximumFindings(ctx, ['order']);
    const [kept] = await queryRows<{ n: number | string; shredded: number | string }>(
      ctx.db,
      sql`select count(*) as n, count(*) filter (where not exists (select 1 from unit_key k where k.unit_id = o.unit_id)) as shredded from "order" o`,
    );
    return finding([...problems, ...maximum.problems], [
      ruleFacts(rule),
      `${plural(Number(kept?.n ?? 0), 'order')}, ${Number(kept?.shredded ?? 0)} of them anonymous after their key was shredded; none shredded early`,
      ...maximum.facts,
    ]);
  },
};

const ticketsKept: Check = {
  clause: '000-4.2',
  topic: 'customer-service records kept at least 12 months',
  promise: 'Customer service communication records are retained for at least 12 months, and no longer than the configured maximum.',
  async run(ctx) {
    const rule = ruleFor(ctx.rules, 'ticket');
    const [tickets] = await queryRows<{ n: number | string; closed: number | string }>(ctx.db, sql`select count(*) as n, count(closed_at) as closed from ticket`);
    const maximum = await maximumFindings(ctx, ['ticket']);
    return finding([...minimumProblems(rule, { amount: 12, unit: 'months' }), ...maximum.problems], [ruleFacts(rule), `${plural(Number(tickets?.n ?? 0), 'ticket')}, ${Number(tickets?.closed ?? 0)} closed`, ...maximum.facts]);
  },
};

type RequestRow = { id: string; status: string; received_at: Date | string; due_at: Date | string; completed_at: Date | string | null };

const asDate = (value: Date | string) => new Date(value);

/** Seed 000 §4: deletion within 7–15 business days; no deadline, extended or not, may be set later. */
const PROMISED_BUSINESS_DAYS = 15;

/** Requests whose recorded deadline is more than `days` business days after their receipt. */
function deadlinesBeyond(calendar: RequestSla['calendar'], requests: readonly RequestRow[], days: number): string[] {
  return requests.filter((r) => calendar.businessDaysBetween(asDate(r.received_at), asDate(r.due_at)) > days).map((r) => r.id);
}

const deletionDeadline: Check = {
  clause: '000-4.3',
  topic: 'requests answered within 15 business days',
  promise: 'A request for deletion (or a copy) is processed within 7–15 business days, except where law requires keeping the data.',
  async run(ctx) {
    const now = ctx.clock.now();
    const requests = await queryRows<RequestRow>(ctx.db, sql`select id, status, received_at, due_at, completed_at from privacy_request where kind <> 'minor' order by received_at`);
    const waiting = requests.filter((r) => r.status === 'awaiting_verification');
    const open = requests.filter((r) => r.completed_at === null && r.status !== 'refused' && r.status !== 'awaiting_verification');
    const overdue = open.filter((r) => asDate(r.due_at) < now).map((r) => r.id);
    const late = requests.filter((r) => r.completed_at !== null && asDate(r.completed_at) > asDate(r.due_at)).map((r) => r.id);
    const { target, due } = SLA_DAYS.standard;
    const beyond = deadlinesBeyond(ctx.sla.calendar, requests, PROMISED_BUSINESS_DAYS);
    return finding(
      [
        ...(due > PROMISED_BUSINESS_DAYS || target > due ? [`deadlines of ${target} and ${due} business days break the promise of 7–15`] : []),
        ...(beyond.length > 0 ? [`requests given more than ${PROMISED_BUSINESS_DAYS} business days: ${someIds(beyond)}`] : []),
        ...(overdue.length > 0 ? [`open requests past their due date: ${someIds(overdue)}`] : []),
        ...(late.length > 0 ? [`requests completed after their due date: ${someIds(late)}`] : []),
      ],
      [
        `target ${target}, due ${due} business days (${ctx.sla.country} public holidays skipped; profile ${ctx.sla.profile})`,
        `${plural(requests.length, 'request')}, each due within ${PROMISED_BUSINESS_DAYS} business days: ${open.length} open, none past due; ${waiting.length} awaiting the requester’s code, not counted`,
      ],
    );
  },
};

// ── 000 §5 and 003 §3: security ──────────────────────────────────────────────────────────────────────────────────

// The vault's sealed format (src/privacy/vault/service.ts): a format byte of 1, a 12-byte IV, a 16-byte tag, then
// the ciphertext. Anything else in an encrypted column was written around the vault.
const SEALED_FORMAT = 1;
const SEALED_MIN_BYTES = 1 + 12 + 16;

const security: Check = {
  clause: '000-5',
  topic: 'personal data encrypted at rest',
  promise: 'Reasonable technical measures keep information secure in transmission, storage and use: every personal field is sealed with its unit’s key.',
  async run(ctx) {
    const live = new Map((await liveColumns(ctx.db)).map((c) => [`${c.table_name}.${c.column_name}`, c.data_type]));
    const encrypted = personalColumns().filter((p) => p.declared.protection === 'encrypted');
    const problems: string[] = [];
    let sealedValues = 0;
    for (const { table, column } of encrypted) {
      const type = live.get(`${table}.${column}`);
      if (type === undefined) continue; // a declared table not in this database is 000-1's concern
      if (type !== 'bytea') {
        problems.push(`${table}.${column} is ${type}, not sealed bytes`);
        continue;
      }
      const t = sql.identifier(table);
      const c = sql.identifier(column);
      const [row] = await queryRows<{ n: number | string; bad: number | string }>(
        ctx.db,
        sql`select count(${c}) as n, count(*) filter (where ${c} is not null and (octet_length(${c}) < ${SEALED_MIN_BYTES} or get_byte(${c}, 0) <> ${SEALED_FORMAT})) as bad from ${t}`,
      );
      sealedValues += Number(row?.n ?? 0);
      if (Number(row?.bad ?? 0) > 0) problems.push(`${table}.${column}: ${plural(Number(row!.bad), 'value')} not sealed by the vault`);
    }
    const foreignKeys = await count(ctx.db, sql`select count(*) as n from unit_key where kek_id <> ${ctx.keys.kekId}`);
    if (foreignKeys > 0) problems.push(`${plural(foreignKeys, 'data key')} not wrapped by the configured master key`);
    const keys = await count(ctx.db, sql`select count(*) as n from unit_key`);
    const https = new URL(ctx.baseUrl).protocol === 'https:';
    if (ctx.production && !https) problems.push('production serves over plain http (PLEDGE_BASE_URL)');
    return finding(problems, [
      `${encrypted.length} encrypted columns, ${plural(sealedValues, 'value')}, all in the vault’s sealed format`,
      `${plural(keys, 'data key')}, all wrapped by the configured master key`,
      ctx.production ? 'production over https: Secure cookies and HSTS' : `not production (${https ? 'https' : 'http'}): Secure cookies and HSTS are turned on in production`,
    ]);
  },
};

function mayReadField(actor: StaffActor, field: Field, purpose: string): boolean {
  if (!(purpose in PURPOSES)) return false;
  try {
    assertMayReadField(actor, field, purpose as Purpose);
    return true;
  } catch {
    return false;
  }
}

const authorisedStaff: Check = {
  clause: '003-3',
  topic: 'only authorised staff, audited',
  promise: 'Only authorised personnel access user information, for service purposes; every staff read is recorded in a tamper-evident trail.',
  async run(ctx) {
    const chain = await verifyAuditChain(ctx.db);
    const reads = await readGroups(ctx.db);
    const problems: string[] = chain.ok ? [] : [`audit chain broken at event ${chain.brokenAt}: ${chain.reason}`];
    for (const r of reads) {
      const actor: StaffActor = { kind: 'staff', staffId: '', roles: r.staff_roles as StaffActor['roles'] };
      const refused = r.fields.filter((f) => f in FIELDS && !mayReadField(actor, f as Field, r.purpose));
      if (refused.length > 0) problems.push(`staff read ${r.first}: roles ${r.staff_roles.join(', ')} may not read ${refused.join(', ')} for ${r.purpose}`);
    }
    return finding(problems, [chain.ok ? `audit chain intact: ${plural(chain.count, 'event')}` : 'audit chain checked', 'every staff read made by a role allowed those fields for that purpose']);
  },
};

// ── 000 §6: cookies ──────────────────────────────────────────────────────────────────────────────────────────────

/** A cookie choice names categories; a marketing e-mail switch names its purpose. */
type SealedChoice = { granted?: string[]; refused?: string[]; purpose?: string };

/** The cookie list's revision is a 10-character hash (src/privacy/cookies.ts); marketing switches have their own. */
const COOKIE_REVISION = '^[A-Za-z0-9_-]{10}$';

/** The newest records whose sealed choice is opened and checked: enough to catch a wrong writer, bounded in cost. */
const CONSENT_SAMPLE = 200;

const cookies: Check = {
  clause: '000-6',
  topic: 'cookies only by declared category, with consent',
  promise: 'Cookies serve performance, a smoother shopping experience and preferences; each optional category only with the visitor’s recorded choice, which they can change.',
  async run(ctx) {
    const declared = new Set<string>(OPTIONAL_CATEGORIES);
    const problems: string[] = [];
    const undeclaredCookies = Object.entries(COOKIES).filter(([, c]) => !(c.category in COOKIE_CATEGORIES)).map(([name]) => name);
    if (undeclaredCookies.length > 0) problems.push(`cookies in no declared category: ${undeclaredCookies.join(', ')}`);
    if (OPTIONAL_CATEGORIES.some((c) => (c as string) === 'essential')) problems.push('an optional category is named essential');
    const [records] = await queryRows<{ n: number | string; unrevised: number | string }>(
      ctx.db,
      sql`select count(*) as n, count(*) filter (where policy_revision !~ ${COOKIE_REVISION} and policy_revision <> ${MARKETING_EMAIL_REVISION}) as unrevised from consent_record`,
    );
    if (Number(records?.unrevised ?? 0) > 0) problems.push(`${plural(Number(records!.unrevised), 'consent record')} made under no cookie-list revision`);
    const opened = await inTransaction(ctx.db, async (tx) => {
      const rows = await queryRows<{ id: string; unit_id: string; policy_revision: string; choice: Buffer | Uint8Array }>(
        tx,
        sql`select id, unit_id, policy_revision, choice from consent_record order by recorded_at desc, id limit ${CONSENT_SAMPLE}`,
      );
      const vault = { db: tx, clock: ctx.clock, keys: ctx.keys };
      await loadKeys(vault, rows.map((r) => r.unit_id));
      const stray: string[] = [];
      for (const row of rows) {
        const choice = await openJson<SealedChoice>(vault, row.unit_id, { table: 'consent_record', column: 'choice', rowId: row.id }, Buffer.from(row.choice));
        if (isErased(choice)) continue;
        const named = row.policy_revision === MARKETING_EMAIL_REVISION ? choice.purpose === 'marketing_with_consent' : [...(choice.granted ?? []), ...(choice.refused ?? [])].every((c) => declared.has(c));
        if (!named) stray.push(row.id);
      }
      return { checked: rows.length, stray };
    });
    if (opened.stray.length > 0) problems.push(`consent records naming undeclared categories or purposes: ${someIds(opened.stray)}`);
    return finding(problems, [
      `${Object.keys(COOKIES).length} cookies declared; optional categories: ${OPTIONAL_CATEGORIES.join(', ')}`,
      `${plural(Number(records?.n ?? 0), 'consent record')}, each under a cookie-list revision or the marketing e-mail switch; the newest ${opened.checked} opened, each naming only declared categories`,
    ]);
  },
};

// ── 000 §7: minors ───────────────────────────────────────────────────────────────────────────────────────────────

const minors: Check = {
  clause: '000-7',
  topic: 'minors’ data erased within 1 business day',
  promise: 'No personal information is collected from minors on purpose; any collected by mistake is deleted as soon as possible after confirmation.',
  async run(ctx) {
    const now = ctx.clock.now();
    const cases = await queryRows<RequestRow & { held: number | string }>(
      ctx.db,
      sql`select id, status, received_at, due_at, completed_at, coalesce(jsonb_array_length(outcome -> 'held'), 0) as held from privacy_request where kind = 'minor' order by received_at`,
    );
    const slack = deadlinesBeyond(ctx.sla.calendar, cases, SLA_DAYS.minor.due);
    const overdue = cases.filter((r) => r.completed_at === null && r.status !== 'refused' && asDate(r.due_at) < now).map((r) => r.id);
    const late = cases.filter((r) => r.completed_at !== null && asDate(r.completed_at) > asDate(r.due_at)).map((r) => r.id);
    const kept = cases.filter((r) => r.status === 'completed' && Number(r.held) > 0).map((r) => r.id);
    const unconfirmed = await count(ctx.db, sql`select count(*) as n from customer_account where adult_confirmed_at is null`);
    return finding(
      [
        ...(slack.length > 0 ? [`cases given more than ${SLA_DAYS.minor.due} business day: ${someIds(slack)}`] : []),
        ...(overdue.length > 0 ? [`cases open past their deadline: ${someIds(overdue)}`] : []),
        ...(late.length > 0 ? [`cases completed after their deadline: ${someIds(late)}`] : []),
        ...(kept.length > 0 ? [`confirmed cases that kept data back: ${someIds(kept)}`] : []),
        ...(unconfirmed > 0 ? [`${plural(unconfirmed, 'account')} without a confirmation of adulthood`] : []),
      ],
      [`every account confirmed adulthood at sign-up`, `${plural(cases.length, 'suspected minor’s case', 'suspected minors’ cases')}, each due within ${SLA_DAYS.minor.due} business day and erased whole`],
    );
  },
};

// ── 000 §8: the person's rights ──────────────────────────────────────────────────────────────────────────────────

/**
 * Units that are nobody's to ask for: staff accounts, non-identifying analytics, the prepared copy itself, and the
 * incident register and security alerts, which hold ids and counts, no one's data.
 */
const NOBODYS_TO_ASK: readonly RetentionUnitKind[] = ['staff', 'analytics_day', 'export_file', 'incident', 'security_alert'];

const rights: Check = {
  clause: '000-8',
  topic: 'copy, correct, delete, withdraw',
  promise: 'Users may obtain a copy of their data, have it corrected, have it deleted and withdraw partial authorisation.',
  async run(ctx) {
    const registered = new Set(registeredKinds().map((k) => k.kind));
    const expected = (Object.keys(RETENTION_UNITS) as RetentionUnitKind[]).filter((k) => !NOBODYS_TO_ASK.includes(k));
    const missing = expected.filter((k) => !registered.has(k));
    const [requests] = await queryRows<{ copies: number | string; erasures: number | string }>(
      ctx.db,
      sql`select count(*) filter (where kind = 'access' and status = 'completed') as copies, count(*) filter (where kind = 'erasure' and status = 'completed') as erasures from privacy_request`,
    );
    // Data no longer needed goes by itself at its maximum; orders, tickets and page views have clauses of their own,
    // and prepared copies are derived copies the sweep purges by their own expiry date.
    const maximum = await maximumFindings(ctx, ['account', 'consent_record', 'outbox_message']);
    return finding([...(missing.length > 0 ? [`kinds of data no copy or erasure reaches: ${missing.join(', ')}`] : []), ...maximum.problems], [
      `every kind of a person’s data is reached by the copy and by erasure: ${expected.join(', ')}`,
      `${plural(Number(requests?.copies ?? 0), 'copy', 'copies')} and ${plural(Number(requests?.erasures ?? 0), 'erasure')} completed; consent withdrawn at /privacy/cookies`,
      ...maximum.facts,
    ]);
  },
};

// ── 000 §9: policy updates ───────────────────────────────────────────────────────────────────────────────────────

const policyUpdates: Check = {
  clause: '000-9',
  topic: 'the published policy matches the code; changes announced ahead',
  promise: 'The policy is updated as the shop changes, with advance notice of any significant change; continued use accepts the update.',
  async run(ctx) {
    const policy = { db: ctx.db, clock: ctx.clock };
    const drift = await policyDrift(policy, ctx.facts);
    const inForce = await versionInForce(policy);
    const unannounced = await queryRows<{ number: number }>(
      ctx.db,
      sql`select number from policy_version where kind = 'significant' and effective_at < published_at + make_interval(days => ${ctx.facts.noticeDays}) order by number`,
    );
    const [versions] = await queryRows<{ n: number | string; significant: number | string }>(ctx.db, sql`select count(*) as n, count(*) filter (where kind = 'significant') as significant from policy_version`);
    return finding(
      [
        ...(inForce ? [] : ['no version of the policy is in force']),
        ...(drift.length > 0 ? [`the policy in force differs from the code and configuration in ${drift.map((d) => `${d.topic}/${d.key}`).join(', ')}`] : []),
        ...(unannounced.length > 0 ? [`significant versions in force with less than ${ctx.facts.noticeDays} days’ notice: ${someIds(unannounced.map((v) => v.number))}`] : []),
      ],
      [
        inForce ? `version ${inForce.number} in force since ${inForce.effectiveAt.toISOString().slice(0, 10)}; its facts match the inventory, the retention rules and the configuration` : 'no version published',
        `${plural(Number(versions?.n ?? 0), 'version')}, ${Number(versions?.significant ?? 0)} significant, each announced ${ctx.facts.noticeDays} days ahead`,
      ],
    );
  },
};

// ── 000 §10 and 003 §3: contact ──────────────────────────────────────────────────────────────────────────────────

/** The seeds' own contact details belong to other shops; a shop using this policy must give its own. */
const SEED_CONTACTS = { emails: ['maria@beturet.icu'], phoneDigits: ['3393652108'] };
const DEMO_CONTACTS = { email: 'privacy@example.com', phoneDigits: '15550100' };

const contact: Check = {
  clause: '000-10',
  topic: 'contact details',
  promise: 'Questions about privacy can be sent by e-mail or phone to the shop’s own contact details.',
  async run(ctx) {
    const email = ctx.contact.email.trim().toLowerCase();
    const digits = ctx.contact.phone.replace(/\D/g, '');
    const problems: string[] = [];
    if (!email.includes('@')) problems.push('no contact e-mail configured');
    if (digits.length < 6) problems.push('no contact phone configured');
    if (SEED_CONTACTS.emails.includes(email) || SEED_CONTACTS.phoneDigits.some((p) => digits.endsWith(p))) problems.push('the contact details are the seed policy’s, not this shop’s');
    if (ctx.production && (email === DEMO_CONTACTS.email || digits === DEMO_CONTACTS.phoneDigits)) problems.push('production still uses the demo contact details');
    return finding(problems, ['contact e-mail and phone configured (PLEDGE_CONTACT_EMAIL, PLEDGE_CONTACT_PHONE), shown on every page']);
  },
};

// ── 003 §2: what is collected about payments and browsing ────────────────────────────────────────────────────────

const SENSITIVE_COLUMN = /(^|_)(card_?number|pan|cvc|cvv|security_code|ssn|passport|biometric|fingerprint|face|government_id|health|date_of_birth)(_|$)/;

const sensitive: Check = {
  clause: '003-2',
  topic: 'no sensitive data, payment details limited',
  promise: 'Name, e-mail, delivery address, payment information and order records only; payment information is a token, brand and last four digits; no sensitive data such as biometrics or identity documents.',
  async run(ctx) {
    const live = await liveColumns(ctx.db);
    const suspicious = live.filter((c) => SENSITIVE_COLUMN.test(c.column_name)).map((c) => `${c.table_name}.${c.column_name}`);
    const problems = [...inventoryProblems(), ...(suspicious.length > 0 ? [`columns that look like sensitive data: ${suspicious.join(', ')}`] : [])];
    const payment = personalColumns().filter((p) => p.declared.category === 'payment_token');
    return finding(problems, [
      `no column of a forbidden category (${FORBIDDEN_CATEGORIES.join(', ')}) and none named like card numbers or identity documents`,
      `payment details kept: ${payment.map((p) => `${p.table}.${p.column}`).join(', ')}`,
    ]);
  },
};

const browsing: Check = {
  clause: '003-2',
  topic: 'browsing data not identifying',
  promise: 'Browsing data (access time, pages, products viewed) is collected only in a form that identifies no one, to improve layout and recommendations.',
  async run(ctx) {
    const now = ctx.clock.now();
    const today = now.toISOString().slice(0, 10);
    // The salt of a day is destroyed by a job when the day ends; an hour's grace covers that job's queue.
    const graceEnded = now.getTime() - Date.parse(`${today}T00:00:00Z`) > 60 * 60 * 1000;
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
    const oldSalts = await queryRows<{ day: string }>(ctx.db, sql`select day from analytics_salt where day < ${graceEnded ? today : yesterday} order by day`);
    // A day's views are sealed, their visitor keys dropped, by a job soon after the day ends: the same grace.
    const unsealed = await queryRows<{ day: string }>(
      ctx.db,
      sql`select distinct to_char(hour at time zone 'UTC', 'YYYY-MM-DD') as day from page_view
          where hour < ${`${graceEnded ? today : yesterday}T00:00:00Z`}::timestamptz and (visitors is not null or visitor_keys is not null or visitor_key is not null) order by 1`,
    );
    const identifying = (classificationOf('page_view') ? Object.entries(classificationOf('page_view')!.columns) : [])
      .filter(([, c]) => c.personal && c.protection !== 'hashed')
      .map(([column]) => `page_view.${column}`);
    const views = await count(ctx.db, sql`select coalesce(sum(views), 0) as n from page_view`);
    const maximum = await maximumFindings(ctx, ['analytics_day']);
    return finding(
      [
        ...(oldSalts.length > 0 ? [`analytics salts of past days still kept: ${someIds(oldSalts.map((s) => s.day))}`] : []),
        ...(unsealed.length > 0 ? [`visitor keys of past days still kept (days not sealed): ${someIds(unsealed.map((u) => u.day))}`] : []),
        ...(identifying.length > 0 ? [`page views keep identifying columns: ${identifying.join(', ')}`] : []),
        ...maximum.problems,
      ],
      [`${plural(views, 'page view')} recorded by hour under a daily salt; no salt of a past day kept, and no visitor key of a sealed day`, `browsing data used only for ${PURPOSES.service_optimisation.toLowerCase()}`, ...maximum.facts],
    );
  },
};

export const CHECKS: readonly Check[] = [collected, purposes, sharing, ordersKept, ticketsKept, deletionDeadline, security, cookies, minors, rights, policyUpdates, contact, neverSold, sensitive, browsing, authorisedStaff];
