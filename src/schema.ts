// Every table of the shop, in one place: the inventory test walks this registry against the live database, so a
// schema module missing from here is caught as unclassified columns.
export * from './platform/mail/schema.ts';
export * from './privacy/vault/schema.ts';
export * from './shop/catalog/schema.ts';
export * from './privacy/audit/schema.ts';
export * from './privacy/disclosure/schema.ts';
export * from './privacy/staff/schema.ts';
export * from './shop/accounts/schema.ts';
export * from './shop/cart/schema.ts';
export * from './shop/orders/schema.ts';
export * from './shop/payments/schema.ts';
export * from './shop/returns/schema.ts';
export * from './shop/tickets/schema.ts';
export * from './privacy/requests/schema.ts';
export * from './privacy/consent/schema.ts';
export * from './shop/analytics/schema.ts';
export * from './privacy/retention/schema.ts';
export * from './privacy/conformance/schema.ts';
export * from './privacy/policy/schema.ts';
export * from './privacy/backups/schema.ts';
export * from './privacy/incidents/schema.ts';
export * from './privacy/security/schema.ts';
