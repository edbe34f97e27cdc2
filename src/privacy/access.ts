import type { FastifyRequest } from 'fastify';
import { CATEGORIES, purposeAllowed, type Category, type Purpose } from './inventory.ts';

// Who may read which personal data, and why (DESIGN.md §4). Two gates, both deny by default: the inventory says
// which purposes a category may serve at all; a staff role says which categories, purposes and logical fields it
// may see. Ownership (a customer reads only their own data) is the caller's query, not this module's.

export const ROLES = ['support', 'fulfilment', 'privacy_officer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type VisitorActor = { kind: 'visitor' };
export type CustomerActor = { kind: 'customer'; customerId: string };
export type StaffActor = { kind: 'staff'; staffId: string; roles: readonly Role[] };
export type SystemActor = { kind: 'system'; job: string };
export type Actor = VisitorActor | CustomerActor | StaffActor | SystemActor;

/** The logical fields of personal records, in the names views and disclosures use, with their category. */
export const FIELDS = {
  name: 'account_contact',
  email: 'account_contact',
  phone: 'account_contact',
  recipientName: 'account_contact',
  shippingAddress: 'delivery_address',
  orderNumber: 'order_record',
  items: 'order_record',
  orderTotal: 'order_record',
  paymentToken: 'payment_token',
  cardBrand: 'payment_token',
  cardLast4: 'payment_token',
  ticketMessages: 'customer_service_record',
  consents: 'consent_record',
} as const satisfies Record<string, Category>;
export type Field = keyof typeof FIELDS;

const ALL_CATEGORIES = Object.keys(CATEGORIES) as Category[];
const ALL_FIELDS = Object.keys(FIELDS) as Field[];

/** What each staff role may read, and for which purposes. Admin runs the shop, not its customers' data. */
export const ROLE_GRANTS: Record<Role, { categories: readonly Category[]; purposes: readonly Purpose[] }> = {
  support: { categories: ['account_contact', 'order_record', 'customer_service_record', 'delivery_address'], purposes: ['customer_support', 'after_sales'] },
  fulfilment: { categories: ['account_contact', 'delivery_address', 'order_record'], purposes: ['delivery'] },
  privacy_officer: { categories: ALL_CATEGORIES, purposes: ['legal_obligation', 'identity_verification'] },
  admin: { categories: [], purposes: [] },
};

/**
 * Field-level views: within the categories a role may read, the fields it is shown. Fulfilment's categories
 * include account contact details for the recipient's name and phone, but never the e-mail address.
 */
export const FIELD_VIEWS: Record<Role, readonly Field[]> = {
  support: ['name', 'email', 'phone', 'recipientName', 'shippingAddress', 'orderNumber', 'items', 'orderTotal', 'ticketMessages'],
  fulfilment: ['recipientName', 'shippingAddress', 'phone', 'items', 'orderNumber'],
  privacy_officer: ALL_FIELDS,
  admin: [],
};

/** A refused read or route. The HTTP error handler renders it as 403 with this code. */
export class AccessDenied extends Error {
  readonly statusCode = 403;
  readonly code = 'access_denied';
  override name = 'AccessDenied';
}

function roleGrants(role: Role, category: Category, purpose: Purpose): boolean {
  const grant = ROLE_GRANTS[role];
  return grant.categories.includes(category) && grant.purposes.includes(purpose);
}

function describe(actor: Actor): string {
  return actor.kind === 'staff' ? `roles ${actor.roles.join(', ') || '(none)'}` : `a ${actor.kind}`;
}

/** Why `actor` may not read `category` for `purpose`, or undefined when it may. */
function refusal(actor: Actor, category: Category, purpose: Purpose, field?: Field): string | undefined {
  if (!purposeAllowed(category, purpose)) return `${category} may not be used for ${purpose}`;
  switch (actor.kind) {
    case 'visitor':
      return 'a visitor reads no personal data';
    case 'customer':
    case 'system':
      return undefined;
    case 'staff': {
      const granted = actor.roles.some((role) => roleGrants(role, category, purpose) && (!field || FIELD_VIEWS[role].includes(field)));
      if (granted) return undefined;
      return `${describe(actor)} may not read ${field ?? category} for ${purpose}`;
    }
  }
}

export function mayRead(actor: Actor, category: Category, purpose: Purpose): boolean {
  return refusal(actor, category, purpose) === undefined;
}

export function assertMayRead(actor: Actor, category: Category, purpose: Purpose): void {
  const reason = refusal(actor, category, purpose);
  if (reason) throw new AccessDenied(reason);
}

/** The category check plus, for staff, the role's field view: fulfilment may read account_contact, not `email`. */
export function assertMayReadField(actor: Actor, field: Field, purpose: Purpose): void {
  const reason = refusal(actor, FIELDS[field], purpose, field);
  if (reason) throw new AccessDenied(reason);
}

function visibleFields(actor: Actor): ReadonlySet<string> {
  switch (actor.kind) {
    case 'customer':
      return new Set(ALL_FIELDS);
    case 'staff':
      return new Set(actor.roles.flatMap((role) => FIELD_VIEWS[role]));
    case 'visitor':
    case 'system':
      return new Set();
  }
}

/** The part of a record (in logical field names) that `actor` may be shown; anything else is dropped. */
export function viewFor<T extends Partial<Record<Field, unknown>>>(actor: Actor, record: T): Partial<T> {
  const visible = visibleFields(actor);
  return Object.fromEntries(Object.entries(record).filter(([field]) => visible.has(field))) as Partial<T>;
}

/** A route's permission, declared as data beside its handler. */
export type RouteAccess = { allow: readonly Role[] | 'customer' | 'public'; purpose?: Purpose };

function routeRefusal(access: RouteAccess, actor: Actor): string | undefined {
  if (access.allow === 'public') return undefined;
  if (access.allow === 'customer') return actor.kind === 'customer' ? undefined : 'this page is for signed-in customers';
  const roles = access.allow;
  if (actor.kind === 'staff' && actor.roles.some((role) => roles.includes(role))) return undefined;
  return `this page is for staff with the role ${roles.join(' or ')}`;
}

/**
 * A Fastify preHandler enforcing `access`. The actor lookup is a parameter because sessions belong to the shop.
 * A route whose declared purpose none of its roles may use is a mistake in the declaration, refused at start-up.
 */
export function requireAccess(access: RouteAccess, getActor: (request: FastifyRequest) => Actor | Promise<Actor>) {
  const { allow, purpose } = access;
  if (typeof allow !== 'string' && allow.length === 0) throw new Error('requireAccess: allow names no role');
  if (purpose && typeof allow !== 'string' && !allow.some((role) => ROLE_GRANTS[role].purposes.includes(purpose))) {
    throw new Error(`requireAccess: none of ${allow.join(', ')} may act for ${purpose}`);
  }
  return async (request: FastifyRequest): Promise<void> => {
    const reason = routeRefusal(access, await getActor(request));
    if (reason) throw new AccessDenied(reason);
  };
}
