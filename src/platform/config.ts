import path from 'node:path';
import Holidays from 'date-holidays';
import { z } from 'zod';
import { isTimeZone } from './clock.ts';

// Every setting Pledge reads from its environment, validated once at start. A wrong value stops the process with
// one line naming the variable and what it accepts.

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().min(1);
const httpUrl = z.url({ protocol: /^https?$/ });
const offOrCount = (what: string) => z.string().trim().regex(/^(off|\d{1,6})$/, `must be a whole number of ${what}, or off`);

/** Weekday names as the settings write them, Monday first. */
export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
const WORKING_SPAN = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?:-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))? +(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

/** Working hours on some days: weekdays (1 = Monday … 7 = Sunday) and minutes after local midnight, `until` excluded. */
export type WorkingHours = { days: number[]; from: number; until: number };

/** `Mon-Fri 08:00-18:00, Sat 09:00-13:00` read, or undefined when any part is malformed or ends before it starts. */
export function workingHours(text: string): WorkingHours[] | undefined {
  const spans: WorkingHours[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = WORKING_SPAN.exec(part);
    if (!m) return undefined;
    const first = WEEKDAYS.indexOf(m[1] as (typeof WEEKDAYS)[number]);
    const last = m[2] ? WEEKDAYS.indexOf(m[2] as (typeof WEEKDAYS)[number]) : first;
    const days = Array.from({ length: ((last - first + 7) % 7) + 1 }, (_, i) => ((first + i) % 7) + 1);
    const [fromH, fromM, untilH, untilM] = m.slice(3).map(Number) as [number, number, number, number];
    const from = fromH * 60 + fromM;
    const until = untilH * 60 + untilM;
    if (fromH > 23 || fromM > 59 || untilM > 59 || until > 24 * 60 || until <= from) return undefined;
    spans.push({ days, from, until });
  }
  return spans;
}

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('localhost'),
  PLEDGE_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  PLEDGE_MASTER_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64 (44 characters, e.g. from `openssl rand -base64 32`)')
    .optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  PLEDGE_MAIL_DIR: z.string().min(1).optional(),
  PLEDGE_BASE_URL: httpUrl.optional(),
  PLEDGE_SHOP_NAME: z.string().trim().min(1).max(80).default('Pledge Cosmetics'),
  PLEDGE_CONTACT_EMAIL: z.email().default('privacy@example.com'),
  PLEDGE_CONTACT_PHONE: z
    .string()
    .regex(/^\+?[0-9 ()-]{6,24}$/, 'must be a phone number of digits, spaces, brackets and dashes')
    .default('+1 555 0100'),
  PLEDGE_MAIL_FROM: z.email().optional(),
  // Lines separated by "|" (one line per element, as on a parcel label).
  PLEDGE_RETURNS_ADDRESS: z
    .string()
    .trim()
    .max(400)
    .refine((v) => v.split('|').every((line) => line.trim().length > 0), 'must be address lines separated by "|", none of them empty')
    .default('Returns department|1 Example Street|Springfield, IL 62701|United States'),
  PLEDGE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PLEDGE_FORM_RATE_LIMIT: positiveInt.default(60),
  PLEDGE_TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  PLEDGE_CATALOG_CACHE_MS: z.coerce.number().int().min(0).max(3_600_000).default(1000),
  // Retention overrides, e.g. `order.max=5y,ticket.max=18mo`; checked against the rules by the privacy engine.
  PLEDGE_RETENTION: z.string().trim().max(1000).optional(),
  PLEDGE_POLICY_NOTICE_DAYS: positiveInt.max(365).default(30),
  PLEDGE_ALLOW_PGLITE: z.enum(['true', 'false']).default('false'),
  // Backups are encrypted under this key when it is set (kept apart from the master key), else under one derived from it.
  PLEDGE_BACKUP_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64 (44 characters, e.g. from `openssl rand -base64 32`)')
    .optional(),
  PLEDGE_BACKUP_DIR: z.string().min(1).optional(),
  PLEDGE_BACKUP_DAYS: positiveInt.max(3650).default(35),
  // Direct TLS without a reverse proxy: PEM files of the certificate (with its chain) and its private key.
  PLEDGE_TLS_CERT: z.string().min(1).optional(),
  PLEDGE_TLS_KEY: z.string().min(1).optional(),
  PLEDGE_METRICS_TOKEN: z.string().regex(/^\S{32,}$/, 'must be at least 32 characters without spaces (e.g. from `openssl rand -hex 32`)').optional(),
  PLEDGE_DSR_COUNTRY: z.string().trim().toUpperCase().refine((c) => c in new Holidays().getCountries(), 'must be a country code date-holidays knows, like US, GB or DE').default('US'),
  PLEDGE_DSR_PROFILE: z.enum(['policy', 'gdpr', 'ccpa']).default('policy'),
  // Access anomaly rules (src/privacy/security/); role names are checked by the privacy engine at start.
  PLEDGE_SECURITY_READ_RATES: z.string().trim().regex(/^[a-z_]+=\d{1,6}(\s*,\s*[a-z_]+=\d{1,6})*$/, 'must be role=N pairs separated by commas, like support=60,fulfilment=120').optional(),
  PLEDGE_SECURITY_WORKING_HOURS: z.string().trim().refine((v) => workingHours(v) !== undefined, 'must be days and hours like "Mon-Fri 08:00-18:00" (several separated by commas), each ending after it starts').optional(),
  PLEDGE_SECURITY_TIME_ZONE: z.string().trim().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin or America/New_York').default('UTC'),
  PLEDGE_SECURITY_UNJUSTIFIED_READS: offOrCount('subjects an hour').default('0'),
  PLEDGE_SECURITY_FAILED_SIGN_INS: offOrCount('failed sign-ins an hour').default('3'),
  PLEDGE_SECURITY_NEW_NETWORK: z.enum(['on', 'off']).default('on'),
});

// Settings that may carry credentials are never echoed back in an error.
const SECRET_SETTINGS = new Set(['DATABASE_URL', 'PLEDGE_MASTER_KEY', 'SMTP_URL', 'PLEDGE_BACKUP_KEY', 'PLEDGE_METRICS_TOKEN']);

export type Config = {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  masterKey: string | undefined;
  smtpUrl: string | undefined;
  mailDir: string;
  baseUrl: string;
  shop: { name: string; contactEmail: string; contactPhone: string; mailFrom: string; returnsAddress: string[] };
  logLevel: z.infer<typeof schema>['PLEDGE_LOG_LEVEL'];
  formRateLimitPerMinute: number;
  trustProxy: boolean;
  /** How stale a cached catalogue page may be before the catalogue version is checked again. */
  catalogCacheMs: number;
  /** PLEDGE_RETENTION as given; `retentionRules` in src/privacy/retention/rules.ts reads and checks it. */
  retention: string | undefined;
  /** How many days ahead a significant change of the privacy policy is announced (seed 000 §9). */
  policyNoticeDays: number;
  /** PLEDGE_BACKUP_KEY, when backups are kept under a key of their own. */
  backupKey: string | undefined;
  /** Where backups are kept, their journals refreshed and old ones swept after `backupDays`; none when unset. */
  backupDir: string | undefined;
  backupDays: number;
  /** The bearer token /metrics asks for; without one the route does not exist. */
  metricsToken: string | undefined;
  /** PEM files for serving HTTPS directly (PLEDGE_TLS_CERT, PLEDGE_TLS_KEY); unset behind a reverse proxy. */
  tls: { certFile: string; keyFile: string } | undefined;
  /** Data-subject requests: whose public holidays are not business days, and which deadline profile applies. */
  dsr: { country: string; profile: z.infer<typeof schema>['PLEDGE_DSR_PROFILE'] };
  /** The access anomaly rules' settings; null turns a rule off (no working hours: reads at any hour are normal). */
  security: {
    readRates: Record<string, number>;
    workingHours: WorkingHours[] | null;
    timeZone: string;
    unjustifiedReads: number | null;
    failedSignIns: number | null;
    newNetwork: boolean;
  };
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty variables count as unset, as shells and .env files commonly leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    const shown = SECRET_SETTINGS.has(name) ? 'value hidden' : `got ${JSON.stringify(present[name] ?? '')}`;
    throw new ConfigError(`${name} ${describeIssue(issue)} (${shown})`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && !e.PLEDGE_MASTER_KEY) {
    throw new ConfigError('PLEDGE_MASTER_KEY is required when NODE_ENV=production (32 bytes in base64)');
  }
  if ((e.PLEDGE_TLS_CERT === undefined) !== (e.PLEDGE_TLS_KEY === undefined)) {
    throw new ConfigError(`${e.PLEDGE_TLS_CERT === undefined ? 'PLEDGE_TLS_CERT' : 'PLEDGE_TLS_KEY'} is required with ${e.PLEDGE_TLS_CERT === undefined ? 'PLEDGE_TLS_KEY' : 'PLEDGE_TLS_CERT'}: direct TLS needs both the certificate and its key (PEM files)`);
  }
  if (e.NODE_ENV === 'production' && !e.DATABASE_URL && e.PLEDGE_ALLOW_PGLITE !== 'true') {
    throw new ConfigError('DATABASE_URL (a PostgreSQL URL) is required when NODE_ENV=production: PGlite is for development and small shops on one server; set PLEDGE_ALLOW_PGLITE=true to run on it anyway');
  }
  if (e.NODE_ENV === 'production' && !e.PLEDGE_BASE_URL?.startsWith('https://')) {
    throw new ConfigError("PLEDGE_BASE_URL must be the shop's https:// address when NODE_ENV=production (links in e-mails and secure cookies need it)");
  }
  if (e.NODE_ENV === 'production' && !e.SMTP_URL) {
    throw new ConfigError('SMTP_URL is required when NODE_ENV=production (smtp://user:password@host:587 or smtps://…): without it no e-mail reaches a customer');
  }
  const dataDir = path.resolve(e.PLEDGE_DATA_DIR);
  const baseUrl = (e.PLEDGE_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    masterKey: e.PLEDGE_MASTER_KEY,
    smtpUrl: e.SMTP_URL,
    // The dev mail sink stands in for recipients' inboxes, so it lives outside the shop's data directory.
    mailDir: path.resolve(e.PLEDGE_MAIL_DIR ?? 'mailbox'),
    baseUrl,
    shop: {
      name: e.PLEDGE_SHOP_NAME,
      contactEmail: e.PLEDGE_CONTACT_EMAIL,
      contactPhone: e.PLEDGE_CONTACT_PHONE,
      mailFrom: e.PLEDGE_MAIL_FROM ?? `no-reply@${new URL(baseUrl).hostname === 'localhost' ? 'example.com' : new URL(baseUrl).hostname}`,
      returnsAddress: e.PLEDGE_RETURNS_ADDRESS.split('|').map((line) => line.trim()),
    },
    logLevel: e.PLEDGE_LOG_LEVEL,
    formRateLimitPerMinute: e.PLEDGE_FORM_RATE_LIMIT,
    trustProxy: e.PLEDGE_TRUST_PROXY === 'true',
    catalogCacheMs: e.PLEDGE_CATALOG_CACHE_MS,
    retention: e.PLEDGE_RETENTION,
    policyNoticeDays: e.PLEDGE_POLICY_NOTICE_DAYS,
    backupKey: e.PLEDGE_BACKUP_KEY,
    backupDir: e.PLEDGE_BACKUP_DIR === undefined ? undefined : path.resolve(e.PLEDGE_BACKUP_DIR),
    backupDays: e.PLEDGE_BACKUP_DAYS,
    metricsToken: e.PLEDGE_METRICS_TOKEN,
    tls: e.PLEDGE_TLS_CERT && e.PLEDGE_TLS_KEY ? { certFile: path.resolve(e.PLEDGE_TLS_CERT), keyFile: path.resolve(e.PLEDGE_TLS_KEY) } : undefined,
    dsr: { country: e.PLEDGE_DSR_COUNTRY, profile: e.PLEDGE_DSR_PROFILE },
    security: {
      readRates: Object.fromEntries((e.PLEDGE_SECURITY_READ_RATES ?? '').split(',').filter((p) => p.trim() !== '').map((p) => p.split('=').map((x) => x.trim())).map(([role, n]) => [role!, Number(n)])),
      workingHours: e.PLEDGE_SECURITY_WORKING_HOURS === undefined ? null : workingHours(e.PLEDGE_SECURITY_WORKING_HOURS)!,
      timeZone: e.PLEDGE_SECURITY_TIME_ZONE,
      unjustifiedReads: e.PLEDGE_SECURITY_UNJUSTIFIED_READS === 'off' ? null : Number(e.PLEDGE_SECURITY_UNJUSTIFIED_READS),
      failedSignIns: e.PLEDGE_SECURITY_FAILED_SIGN_INS === 'off' ? null : Number(e.PLEDGE_SECURITY_FAILED_SIGN_INS),
      newNetwork: e.PLEDGE_SECURITY_NEW_NETWORK === 'on',
    },
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' ? 'must not be empty' : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'string' ? `must be at most ${String(issue.maximum)} characters` : `must be at most ${String(issue.maximum)}`;
    case 'invalid_type':
      return issue.expected === 'number' ? 'must be a whole number' : `must be a ${issue.expected}`;
    case 'invalid_format':
      return issue.format === 'url' ? `must be a URL (${urlHint(String(issue.path[0]))})` : issue.format === 'email' ? 'must be an e-mail address' : issue.message;
    default:
      return issue.message;
  }
}

function urlHint(name: string): string {
  if (name === 'DATABASE_URL') return 'postgres://user:password@host:5432/database';
  if (name === 'SMTP_URL') return 'smtp://user:password@host:587 or smtps://…';
  return 'http:// or https://';
}
