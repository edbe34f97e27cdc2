import type { Config } from '../../platform/config.ts';
import { COOKIE_CATEGORIES, COOKIES } from '../cookies.ts';
import { CATEGORIES, FORBIDDEN_CATEGORIES, PROCESSORS, PURPOSES, RETENTION_UNITS, type Purpose } from '../inventory.ts';
import { SLA_DAYS } from '../requests/sla.ts';
import { describeSpan, retentionRules } from '../retention/rules.ts';

// The policy's live facts: what the code collects, why, who receives it, how long it is kept, the cookies it sets
// and whom to ask, read from the inventory, the retention rules and the configuration — never typed by staff. The
// policy page prints them; each published version keeps a copy, so a change in the code shows up as a difference.

export type PolicyFacts = {
  shopName: string;
  contact: { email: string; phone: string };
  categories: { key: string; label: string; purposes: string[] }[];
  neverCollected: string[];
  purposes: { key: string; label: string }[];
  processors: { key: string; label: string; fields: string[] }[];
  retention: { kind: string; what: string; startsAt: string; minimum: string | null; minimumWhy: string | null; maximum: string | null; atMaximum: string }[];
  cookies: { name: string; category: string; purpose: string; lifetime: string }[];
  /** Business days to answer a request (target and due), and to erase a confirmed minor's data. */
  deadlines: { targetDays: number; dueDays: number; minorDays: number };
  /** How many days ahead a significant change is announced. */
  noticeDays: number;
};

/** The topics facts fall under; a change in the first four must be announced as a significant version. */
export const FACT_TOPICS = {
  categories: 'Data collected',
  purposes: 'Purposes',
  processors: 'Who receives it',
  retention: 'How long it is kept',
  cookies: 'Cookies',
  contact: 'Contact details',
  deadlines: 'Deadlines and notice',
} as const;
export type FactTopic = keyof typeof FACT_TOPICS;

export const SIGNIFICANT_TOPICS: readonly FactTopic[] = ['categories', 'purposes', 'processors', 'retention'];

const FORBIDDEN_WORDS: Record<(typeof FORBIDDEN_CATEGORIES)[number], string> = {
  biometric: 'Biometric data (fingerprints, face or voice prints)',
  government_id: 'Identity documents and government identity numbers',
  health: 'Health information',
};

/** `cardToken` → `card token`: the field names the code sends, in words. */
export function fieldWords(field: string): string {
  return field.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

export function liveFacts(config: Config, noticeDays: number): PolicyFacts {
  return {
    shopName: config.shop.name,
    contact: { email: config.shop.contactEmail, phone: config.shop.contactPhone },
    categories: Object.entries(CATEGORIES).map(([key, c]) => ({ key, label: c.label, purposes: [...c.purposes] })),
    neverCollected: FORBIDDEN_CATEGORIES.map((c) => FORBIDDEN_WORDS[c]),
    purposes: Object.entries(PURPOSES).map(([key, label]) => ({ key, label })),
    processors: Object.entries(PROCESSORS).map(([key, p]) => ({ key, label: p.label, fields: p.fields.map(fieldWords) })),
    retention: retentionRules(config.retention).map((r) => ({
      kind: r.kind,
      what: RETENTION_UNITS[r.kind],
      startsAt: r.startsAt,
      minimum: r.minimum && describeSpan(r.minimum),
      minimumWhy: r.minimumWhy,
      maximum: r.maximum && describeSpan(r.maximum),
      atMaximum: r.atMaximum,
    })),
    cookies: Object.entries(COOKIES).map(([name, c]) => ({ name, category: COOKIE_CATEGORIES[c.category].label, purpose: c.purpose, lifetime: c.lifetime })),
    deadlines: { targetDays: SLA_DAYS.standard.target, dueDays: SLA_DAYS.standard.due, minorDays: SLA_DAYS.minor.target },
    noticeDays,
  };
}

export function purposeLabel(key: string): string {
  return PURPOSES[key as Purpose] ?? key;
}

/** One fact as a line of text, under its topic and a stable key: what the redline and the drift compare. */
export type FactLine = { topic: FactTopic; key: string; text: string };

export function factLines(facts: PolicyFacts): FactLine[] {
  return [
    ...facts.categories.map((c) => ({ topic: 'categories' as const, key: c.key, text: `${c.label}: used for ${c.purposes.map(purposeLabel).join('; ')}.` })),
    ...facts.neverCollected.map((n) => ({ topic: 'categories' as const, key: `never:${n}`, text: `Never collected: ${n}.` })),
    ...facts.purposes.map((p) => ({ topic: 'purposes' as const, key: p.key, text: `${p.label}.` })),
    ...facts.processors.map((p) => ({
      topic: 'processors' as const,
      key: p.key,
      text: `${p.label} receives ${p.fields.length === 0 ? 'nothing routinely' : p.fields.join(', ')}.`,
    })),
    ...facts.retention.map((r) => ({ topic: 'retention' as const, key: r.kind, text: retentionSentence(r) })),
    ...facts.cookies.map((c) => ({ topic: 'cookies' as const, key: c.name, text: `${c.name} (${c.category}): ${c.purpose} Kept: ${c.lifetime}.` })),
    { topic: 'contact', key: 'shop', text: `The shop: ${facts.shopName}.` },
    { topic: 'contact', key: 'email', text: `E-mail: ${facts.contact.email}.` },
    { topic: 'contact', key: 'phone', text: `Phone: ${facts.contact.phone}.` },
    {
      topic: 'deadlines',
      key: 'requests',
      text: `Requests answered within ${facts.deadlines.targetDays} business days, at the latest ${facts.deadlines.dueDays}; a child’s data erased within ${facts.deadlines.minorDays} business day of confirmation.`,
    },
    { topic: 'deadlines', key: 'notice', text: `Significant changes announced ${facts.noticeDays} days ahead.` },
  ];
}

function retentionSentence(r: PolicyFacts['retention'][number]): string {
  const kept = r.minimum ? `kept at least ${r.minimum} (${r.minimumWhy})` : 'no minimum';
  const gone = r.maximum ? `gone ${r.maximum} after ${r.startsAt}` : 'no automatic end';
  return `${r.what}: ${kept}; ${gone}; then ${r.atMaximum}.`;
}

/** A fact that differs between two sets: `before` or `after` null when it was added or removed. */
export type FactChange = { topic: FactTopic; key: string; before: string | null; after: string | null };

export function factChanges(before: PolicyFacts, after: PolicyFacts): FactChange[] {
  const was = new Map(factLines(before).map((l) => [`${l.topic}/${l.key}`, l]));
  const changes: FactChange[] = [];
  for (const line of factLines(after)) {
    const id = `${line.topic}/${line.key}`;
    const old = was.get(id);
    was.delete(id);
    if (old?.text !== line.text) changes.push({ topic: line.topic, key: line.key, before: old?.text ?? null, after: line.text });
  }
  for (const old of was.values()) changes.push({ topic: old.topic, key: old.key, before: old.text, after: null });
  return changes;
}

/** The changes that only a significant version, announced ahead, may bring. */
export function significantChanges(changes: readonly FactChange[]): FactChange[] {
  return changes.filter((c) => SIGNIFICANT_TOPICS.includes(c.topic));
}
