import type { FastifyInstance } from 'fastify';
import { buildApp, type Feature } from './platform/http/app.ts';
import { mailboxRoutes } from './platform/mail/routes.ts';
import type { Runtime } from './platform/runtime.ts';
import { staffRoutes } from './privacy/staff/routes.ts';
import { accountRoutes } from './shop/accounts/routes.ts';
import { storeApiRoutes } from './shop/api/routes.ts';
import { cartRoutes } from './shop/cart/routes.ts';
import { catalogRoutes } from './shop/catalog/routes.ts';
import { checkoutRoutes } from './shop/checkout/routes.ts';
import { testPayRoutes } from './shop/payments/testpay/routes.ts';
import { orderRoutes } from './shop/orders/routes.ts';

// The whole shop: the platform's routes plus every capability's, in one Fastify app.

export function features(runtime: Runtime): Feature[] {
  const devMailbox = runtime.config.env !== 'production' && runtime.mail.kind === 'files';
  return [...(devMailbox ? [mailboxRoutes] : []), staffRoutes, accountRoutes, catalogRoutes, cartRoutes, storeApiRoutes, orderRoutes, checkoutRoutes, testPayRoutes, returnRoutes];
}

export function createShopApp(runtime: Runtime): Promise<FastifyInstance> {
  return buildApp(runtime, features(runtime));
}
