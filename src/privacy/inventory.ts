import type { PgTable } from 'drizzle-orm/pg-core';
import {
  classificationOf,
  classifiedTables,
  classifyColumns,
  NOT_PERSONAL,
  type ColumnClass,
  type NotPersonal,
  type PersonalColumn as PlatformPersonalColumn,
  type TableClassification,
} from '../platform/db/classification.ts';

// The data inventory: what Pledge collects, why, for how long and who may receive it. Every column of every table
// is classified where the table is declared (see `classify`), so the inventory is the schema's own account of
// itself, and the policy page, the conformance report and the tests all read this one map.

/** Purposes personal data may be used for: the closed list from the policies (seed 000 §2, seed 003 §2). */
export const PURPOSES = {
  order_processing: 'Processing orders and payments',
  delivery: 'Delivering products',
  after_sales: 'After-sales service: returns, refunds and complaints',
  customer_support: 'Customer support',
  identity_verification: 'Verifying a customer’s identity',
  order_notifications: 'Sending important notifications about orders',
  service_optimisation: 'Optimising the website and service',
  legal_obligation: 'Meeting legal obligations',
  marketing_with_consent: 'Marketing e-mail, only with explicit consent',
  account_management: 'Running the customer’s account and its security',
} as const;
export type Purpose = keyof typeof PURPOSES;

/** How long each kind of retention unit lives; the retention engine owns the rules, the inventory names them. */
export const RETENTION_UNITS = {
  account: 'A customer account and its profile',
  order: 'An order, its lines, payment token and delivery data',
  ticket: 'A customer-service ticket and its messages',
  consent_record: 'A record of a cookie or marketing choice',
  analytics_day: 'One day of non-identifying browsing statistics',
  staff: 'A staff account',
  outbox_message: 'An e-mail waiting to be sent, kept under its subject’s key',
  export_file: 'A prepared copy of someone’s data, kept until downloaded or expired',
  incident: 'An incident record: what happened, its steps and who was notified (ids and counts, no one’s data)',
  security_alert: 'A security alert: the rule, a staff account or request id, counts and times',
} as const;
export type RetentionUnitKind = keyof typeof RETENTION_UNITS;

/** Data categories: what a personal column holds, and the purposes that category may be read for. */
export const CATEGORIES = {
  account_contact: {
    label: 'Account and contact details (name, e-mail, phone)',
    purposes: ['order_processing', 'delivery', 'after_sales', 'customer_support', 'identity_verification', 'order_notifications', 'account_management', 'legal_obligation', 'marketing_with_consent'],
  },
  delivery_address: { label: 'Delivery address', purposes: ['order_processing', 'delivery', 'after_sales', 'customer_support', 'legal_obligation'] },
  payment_token: { label: 'Payment token, card brand and last four digits', purposes: ['order_processing', 'after_sales', 'legal_obligation'] },
  order_record: { label: 'Order records', purposes: ['order_processing', 'delivery', 'after_sales', 'customer_support', 'order_notifications', 'legal_obligation'] },
  customer_service_record: { label: 'Customer-service communication records', purposes: ['customer_support', 'after_sales', 'legal_obligation'] },
  consent_record: { label: 'Consent choices', purposes: ['legal_obligation', 'account_management'] },
  browsing_data: { label: 'Non-identifying browsing data (time, pages, products viewed)', purposes: ['service_optimisation'] },
  device_data: { label: 'System data (session, security events)', purposes: ['account_management', 'identity_verification', 'legal_obligation'] },
  credentials: { label: 'Password hashes and one-time codes (never readable as text)', purposes: ['account_management', 'identity_verification'] },
  message_content: { label: 'Messages sent to the customer (e-mail)', purposes: ['order_notifications', 'customer_support', 'account_management', 'marketing_with_consent'] },
} as const satisfies Record<string, { label: string; purposes: readonly Purpose[] }>;
export type Category = keyof typeof CATEGORIES;

/** Categories the policies promise are never collected (seed 003 §2). Declaring one is an error, at start. */
export const FORBIDDEN_CATEGORIES = ['biometric', 'government_id', 'health'] as const;

/** Processors and the only fields each may receive (DESIGN.md §5). */
export const PROCESSORS = {
  payment: { label: 'Payment provider (TestPay)', fields: ['orderId', 'amountCents', 'currency', 'cardToken'] },
  logistics: { label: 'Logistics provider (TestShip)', fields: ['recipientName', 'shippingAddress', 'phone', 'parcelContents', 'parcelWeightGrams'] },
  email_delivery: { label: 'E-mail delivery (SMTP)', fields: ['recipient', 'message'] },
  hosting: { label: 'Hosting and technical support', fields: [] },
} as const satisfies Record<string, { label: string; fields: readonly string[] }>;
export type Processor = keyof typeof PROCESSORS;

/** A personal column as the privacy engine knows it: its category, unit and processors are from this inventory. */
export type PersonalColumn = Omit<PlatformPersonalColumn, 'category' | 'unit' | 'processors'> & {
  category: Category;
  unit: RetentionUnitKind;
  processors?: readonly Processor[];
};

export { classificationOf, classifiedTables, NOT_PERSONAL, type ColumnClass, type NotPersonal, type TableClassification };

/** `classifyColumns` with the inventory's own categories, units and processors checked by the type system. */
export function classify<T extends PgTable>(table: T, columns: { [K in keyof T['_']['columns']]: PersonalColumn | NotPersonal }): T {
  return classifyColumns<T, PersonalColumn>(table, columns);
}

/** Declarations made outside the typed `classify` (the platform's tables) checked against the inventory. */
export function inventoryProblems(): string[] {
  const problems: string[] = [];
  for (const { table, columns } of classifiedTables()) {
    for (const [column, c] of Object.entries(columns)) {
      if (!c.personal) continue;
      if (!(c.category in CATEGORIES)) problems.push(`${table}.${column}: unknown category ${c.category}`);
      if ((FORBIDDEN_CATEGORIES as readonly string[]).includes(c.category)) problems.push(`${table}.${column}: ${c.category} is never collected`);
      if (!(c.unit in RETENTION_UNITS)) problems.push(`${table}.${column}: unknown retention unit ${c.unit}`);
      for (const p of c.processors ?? []) if (!(p in PROCESSORS)) problems.push(`${table}.${column}: unknown processor ${p}`);
    }
  }
  return problems;
}

export function purposeAllowed(category: Category, purpose: Purpose): boolean {
  return (CATEGORIES[category].purposes as readonly Purpose[]).includes(purpose);
}

/** Column names that suggest personal data; the inventory test fails on any such column classified as not personal without a reason. */
export const LOOKS_PERSONAL = /(^|_)(name|e?mail|phone|address|street|city|postcode|zip|ip|note|message|body|birth|dob|card|token|password|secret|recipient|contact)(_|$)/;

export type InventoryRow = {
  column: string;
  category: Category;
  purposes: Purpose[];
  unit: string;
  protection: PersonalColumn['protection'];
  encrypted: boolean;
  processors: string[];
};

/** Every personal column with what the inventory says of it: the map `pledge inventory` prints. */
export function inventoryReport(): InventoryRow[] {
  return classifiedTables().flatMap(({ table, columns }) =>
    Object.entries(columns).flatMap(([column, c]) => {
      if (!c.personal) return [];
      const category = c.category as Category;
      return [
        {
          column: `${table}.${column}`,
          category,
          purposes: [...CATEGORIES[category].purposes],
          unit: c.unit,
          protection: c.protection,
          encrypted: c.protection === 'encrypted',
          processors: [...(c.processors ?? [])],
        },
      ];
    }),
  );
}
