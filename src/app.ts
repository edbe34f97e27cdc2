import type { FastifyInstance } from 'fastify';
import { buildApp, type Feature } from './platform/http/app.ts';
import { mailboxRoutes } from './platform/mail/routes.ts';
import type { Runtime } from './platform/runtime.ts';
import { staffRoutes } from './privacy/staff/routes.ts';
import { restoreGate } from './privacy/backups/routes.ts';
import { metricsRoutes } from './platform/metrics/routes.ts';
import { privacyGauges } from './privacy/metrics.ts';
import { consentRoutes } from './privacy/consent/routes.ts';
import { policyRoutes } from './privacy/policy/routes.ts';
import { signedInCustomer } from './shop/accounts/service.ts';
import { analyticsRoutes } from './shop/analytics/routes.ts';
import { accountRoutes } from './shop/accounts/routes.ts';
import { BACK_OFFICE_DESK } from './shop/backoffice/desk.ts';
import { backOfficeRoutes } from './shop/backoffice/routes.ts';
import { fulfilmentRoutes } from './shop/fulfilment/routes.ts';
import { supportRoutes } from './shop/support/routes.ts';
import { storeApiRoutes } from './shop/api/routes.ts';
import { cartRoutes } from './shop/cart/routes.ts';
import { catalogRoutes } from './shop/catalog/routes.ts';
import { returnRoutes } from './shop/returns/routes.ts';
import { checkoutRoutes } from './shop/checkout/routes.ts';
import { testPayRoutes } from './shop/payments/testpay/routes.ts';
import { orderRoutes } from './shop/orders/routes.ts';
import { privacyCenterRoutes } from './shop/privacy-center/routes.ts';
import { privacyRequestRoutes } from './privacy/requests/routes.ts';
import { retentionRoutes } from './privacy/retention/routes.ts';
import { shopContext } from './shop/context.ts';
import { holdLookups, retentionContext } from './shop/privacy-center/retention.ts';
import { conformanceRoutes } from './privacy/conformance/routes.ts';
import { retentionCensus } from './privacy/retention/sweep.ts';
// Every table registers its classification, which the conformance report checks against the database.
import './schema.ts';
import { privacyQueueActions } from './shop/privacy-center/service.ts';
import { ticketRoutes } from './shop/tickets/routes.ts';
import { incidentRoutes } from './privacy/incidents/routes.ts';
import { recipientOf, subjectOf } from './shop/backoffice/recipients.ts';
import { securityRoutes } from './privacy/security/routes.ts';

// The whole shop: the platform's routes plus every capability's, in one Fastify app.

export function features(runtime: Runtime): Feature[] {
  const devMailbox = runtime.config.env !== 'production' && runtime.mail.kind === 'files';
  // Consent comes first: its hooks put the banner on, and expire refused cookies from, every page after it.
  const consent: Feature = (app, platform) => consentRoutes(app, platform, (request) => signedInCustomer({ db: platform.database.db, clock: platform.clock }, request));
  // The policy's hook records acceptance on a customer's first request after a change, so it precedes the pages too.
  const policy: Feature = (app, platform) => policyRoutes(app, platform, (request) => signedInCustomer({ db: platform.database.db, clock: platform.clock }, request));
  // The restore gate comes before everything: a restored database waiting for its erasure replay serves no one.
  return [restoreGate, metricsRoutes([privacyGauges]), consent, policy, analyticsRoutes, ...(devMailbox ? [mailboxRoutes] : []), (app, platform) => staffRoutes(app, platform, BACK_OFFICE_DESK), accountRoutes, catalogRoutes, cartRoutes, storeApiRoutes, orderRoutes, checkoutRoutes, testPayRoutes, returnRoutes, backOfficeRoutes, fulfilmentRoutes, supportRoutes, privacyCenterRoutes, (app, platform) => privacyRequestRoutes(app, platform, privacyQueueActions(platform)), (app, platform) => retentionRoutes(app, platform, () => retentionContext(platform), holdLookups(shopContext(platform))), ticketRoutes, (app, platform) => conformanceRoutes(app, platform, () => retentionCensus(retentionContext(platform))), (app, platform) => incidentRoutes(app, platform, recipientOf(shopContext(platform)), subjectOf(shopContext(platform))), securityRoutes];
}

export function createShopApp(runtime: Runtime): Promise<FastifyInstance> {
  return buildApp(runtime, features(runtime));
}
