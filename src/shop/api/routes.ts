import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Platform } from '../../platform/http/app.ts';
import { compressPage, sendCompressed } from '../../platform/http/compression.ts';
import { httpError } from '../../platform/http/errors.ts';
import { inTransaction } from '../../platform/db/index.ts';
import { profile, register, SESSION_COOKIE, SIGN_IN_LOCKED, signIn, signOut, updateName } from '../accounts/service.ts';
import { CART_COOKIE, problemError, rememberCart } from '../cart/routes.ts';
import { addItem, mergeVisitorCart, removeItem, setQuantity, viewCart, type CartResult } from '../cart/service.ts';
import { createCatalogCache, type CatalogCache } from '../catalog/cache.ts';
import {
  findCategory,
  findProduct,
  listCategories,
  listProducts,
  listVariants,
  searchProducts,
} from '../catalog/service.ts';
import { payOrder, placeOrder, shippingChoices, shippingCountries, type CheckoutProblem } from '../checkout/service.ts';
import { shopContext } from '../context.ts';
import { countryName } from '../orders/address.ts';
import { findCustomerOrder, listCustomerOrders, orderForSubject } from '../orders/service.ts';
import { CART_TOKEN_HEADER, apiCsrf, visitorCartOf, type CartCaller } from './caller.ts';
import {
  Accepted,
  Cart,
  CategoryList,
  CheckoutOptions,
  CheckoutRequest,
  Credentials,
  IdempotencyHeaders,
  Order,
  OrderList,
  OrderParams,
  LineQuantity,
  NewLine,
  Profile,
  ProductDetail,
  ProductListQuery,
  ProductPage,
  ProfileChange,
  Registration,
  SearchQuery,
  Session,
  SlugParams,
} from './contract.ts';
import { openApiDocument } from './openapi.ts';
import { privacyApiRoutes } from './privacy.ts';
import { cartBody, optional, orderBody, productDetail, productPage } from './present.ts';
import { route, type StoreRoute } from './route.ts';

// The store API: the catalogue, carts, customer accounts, checkout and orders as JSON under /api/store, for apps and
// scripts. It calls the same services as the HTML pages and adds no rules of its own; its OpenAPI document, made from
// these declarations, is at /api/openapi.json.

export const STORE_API_PREFIX = '/api/store';

/** How long a client or proxy may reuse a catalogue answer; the server's own copy follows catalogue changes. */
const CATALOG_MAX_AGE_SECONDS = 60;

/** Registration and sign-in are what scripts hammer: the same tighter limit as the HTML forms. */
const ACCOUNT_RATE_LIMIT = { max: 10, timeWindow: '1 minute' };

/** Checkout's refusals, with the form's field names turned into the API body's. */
function checkoutRefused(problems: CheckoutProblem[]) {
  const fields = Object.fromEntries(problems.flatMap((p) => (p.field ? [[p.field === 'country' ? 'address.country' : p.field, p.message]] : [])));
  const [only] = problems;
  return httpError(400, problems.length === 1 ? only!.code : 'checkout_refused', problems.map((p) => p.message).join(' '), Object.keys(fields).length > 0 ? fields : undefined);
}

/**
 * The checkout key of an API order: the client's Idempotency-Key within the caller's own scope (their account, or
 * their cart token), so a key that another caller happens to use, or guesses, finds nothing of theirs.
 */
function checkoutKey(owner: CartCaller['owner'], idempotencyKey: string): string {
  const scope = 'customerId' in owner ? `customer:${owner.customerId}` : `cart:${owner.visitorToken ?? ''}`;
  return `api:${scope}:${idempotencyKey}`;
}

export function storeRoutes(platform: Platform): StoreRoute[] {
  const { database, config } = platform;
  const ctx = shopContext(platform);
  const secureCookies = config.env === 'production';
  // The catalogue answers are the same for everyone: kept in memory as compressed JSON, and dropped when the
  // catalogue version moves, exactly like the HTML catalogue pages. Searches have a cache of their own, so made-up
  // queries cannot empty the listing's.
  const cache = createCatalogCache(database.db, config.catalogCacheMs);
  const searchCache = createCatalogCache(database.db, config.catalogCacheMs);

  async function sendCatalog(
    request: FastifyRequest,
    reply: FastifyReply,
    from: CatalogCache,
    key: string,
    load: () => Promise<object | undefined>,
    notFound = 'There is nothing at this address.',
  ): Promise<FastifyReply> {
    const bytes = await from.get(key, async () => {
      const body = await load();
      return body && compressPage(Buffer.from(JSON.stringify(body)));
    });
    if (!bytes) throw httpError(404, 'not_found', notFound);
    reply.header('cache-control', `public, max-age=${CATALOG_MAX_AGE_SECONDS}`);
    return sendCompressed(request, reply, bytes, 'application/json; charset=utf-8');
  }

  /**
   * The cart after a change. A visitor's cart found by its cookie keeps the cookie (renewed, as the HTML cart does);
   * one found by the header, or made by this change, is answered with its token (201 when the cart is new).
   */
  async function changedCart(reply: FastifyReply, caller: CartCaller, result: CartResult): Promise<z.input<typeof Cart>> {
    if (!result.ok) throw problemError(result.problem);
    const { visitorToken } = result;
    const cart = cartBody(await viewCart(ctx, visitorToken ? { visitorToken } : caller.owner));
    if (!visitorToken) return cart;
    if (caller.via === 'cookie') {
      rememberCart(reply, visitorToken, secureCookies);
      return cart;
    }
    if ('visitorToken' in caller.owner && caller.owner.visitorToken !== visitorToken) reply.status(201);
    reply.header(CART_TOKEN_HEADER, visitorToken);
    return { cartToken: visitorToken, ...cart };
  }

  async function profileBody(customerId: string): Promise<z.input<typeof Profile>> {
    const me = await profile(ctx, customerId);
    // An account erased while its session lived has no profile: as good as signed out.
    if (!me) throw httpError(401, 'unauthorized', 'This account no longer exists.');
    return { name: me.name, email: me.email };
  }

  return [
    route(ctx, {
      method: 'GET',
      url: '/products',
      operationId: 'listProducts',
      tag: 'Products',
      summary: 'List products',
      description: 'One page of the catalogue: in the shop’s own order (`featured`), by price or by name, optionally of one category.',
      access: 'catalog',
      query: ProductListQuery,
      status: 200,
      response: ProductPage,
      errors: [400, 404],
      handle: ({ query, request, reply }) => {
        const { page, perPage, sort, category } = query;
        return sendCatalog(request, reply, cache, `list:${sort}:${category ?? ''}:${page}:${perPage}`, async () => {
          const found = category === undefined ? undefined : await findCategory(ctx, category);
          if (category !== undefined && !found) return undefined;
          return productPage(await listProducts(ctx, { page, perPage, sort, ...(found ? { categoryId: found.id } : {}) }));
        }, `There is no category “${category}”.`);
      },
    }),
    route(ctx, {
      method: 'GET',
      url: '/search',
      operationId: 'searchProducts',
      tag: 'Products',
      summary: 'Search products',
      description: 'Full-text search over name, brand, category, summary and description, tolerant of typos.',
      access: 'catalog',
      query: SearchQuery,
      status: 200,
      response: ProductPage,
      errors: [400],
      handle: ({ query, request, reply }) => {
        const { q, sort, page, perPage } = query;
        return sendCatalog(request, reply, searchCache, `search:${sort}:${page}:${perPage}:${q}`, async () =>
          productPage(await searchProducts(ctx, { q, sort, page, perPage })));
      },
    }),
    route(ctx, {
      method: 'GET',
      url: '/products/:slug',
      operationId: 'getProduct',
      tag: 'Products',
      summary: 'One product',
      access: 'catalog',
      params: SlugParams,
      status: 200,
      response: ProductDetail,
      errors: [404],
      handle: ({ params, request, reply }) =>
        sendCatalog(request, reply, cache, `product:${params.slug}`, async () => {
          const product = await findProduct(ctx, params.slug);
          if (!product) return undefined;
          const variants = product.variantGroup === null ? [] : await listVariants(ctx, product.variantGroup);
          return productDetail(product, variants);
        }, `There is no product “${params.slug}”.`),
    }),
    route(ctx, {
      method: 'GET',
      url: '/categories',
      operationId: 'listCategories',
      tag: 'Products',
      summary: 'List categories',
      description: 'Their slugs filter the product list (`category`).',
      access: 'catalog',
      status: 200,
      response: CategoryList,
      errors: [],
      handle: ({ request, reply }) =>
        sendCatalog(request, reply, cache, 'categories', async () => ({
          categories: (await listCategories(ctx)).map(({ slug, name, description }) => ({ slug, name, description })),
        })),
    }),

    route(ctx, {
      method: 'GET',
      url: '/cart',
      operationId: 'getCart',
      tag: 'Cart',
      summary: 'The caller’s cart',
      description: 'A signed-in customer’s cart, else the visitor cart named by X-Cart-Token or the cart cookie; empty when there is none. Names, prices and stock are read live.',
      access: 'cart',
      status: 200,
      response: Cart,
      errors: [400, 401],
      handle: async ({ caller }) => cartBody(await viewCart(ctx, caller.owner)),
    }),
    route(ctx, {
      method: 'POST',
      url: '/cart/items',
      operationId: 'addCartItem',
      tag: 'Cart',
      summary: 'Add a product to the cart',
      description: 'Creates the cart on the first add: a visitor then gets its token in `cartToken` and the X-Cart-Token response header (201), to send back as X-Cart-Token. Refused when the cart would hold more than the stock.',
      access: 'cart',
      body: NewLine,
      status: 200,
      otherStatuses: { 201: 'A new visitor cart was made; its token is in `cartToken` and X-Cart-Token' },
      response: Cart,
      errors: [400, 401, 404],
      handle: async ({ caller, body, reply }) => changedCart(reply, caller, await addItem(ctx, caller.owner, body)),
    }),
    route(ctx, {
      method: 'PATCH',
      url: '/cart/items/:slug',
      operationId: 'setCartItemQuantity',
      tag: 'Cart',
      summary: 'Set a line’s quantity',
      description: 'The new quantity must be in stock; 0 removes the line.',
      access: 'cart',
      params: SlugParams,
      body: LineQuantity,
      status: 200,
      response: Cart,
      errors: [400, 401, 404],
      handle: async ({ caller, params, body, reply }) => changedCart(reply, caller, await setQuantity(ctx, caller.owner, { slug: params.slug, quantity: body.quantity })),
    }),
    route(ctx, {
      method: 'DELETE',
      url: '/cart/items/:slug',
      operationId: 'removeCartItem',
      tag: 'Cart',
      summary: 'Remove a line',
      access: 'cart',
      params: SlugParams,
      status: 200,
      response: Cart,
      errors: [400, 401, 404],
      handle: async ({ caller, params, reply }) => changedCart(reply, caller, await removeItem(ctx, caller.owner, params.slug)),
    }),

    route(ctx, {
      method: 'POST',
      url: '/customers',
      operationId: 'register',
      tag: 'Customers',
      summary: 'Create an account',
      description: 'Mails a link to confirm the address; the account can sign in once it is followed. The answer is the same whether or not the address already has an account (its owner is told by e-mail).',
      access: 'anyone',
      body: Registration,
      status: 202,
      response: Accepted,
      errors: [400],
      rateLimit: ACCOUNT_RATE_LIMIT,
      handle: async ({ body }) => {
        await register(ctx, body);
        return { message: `We have sent a message to ${body.email}. Follow the link in it to confirm the address and start using the account.` };
      },
    }),
    route(ctx, {
      method: 'POST',
      url: '/sessions',
      operationId: 'signIn',
      tag: 'Customers',
      summary: 'Sign in',
      description: 'Answers a session token for `Authorization: Bearer`. A visitor cart named by X-Cart-Token (or the cart cookie) joins the customer’s cart, as at sign-in on the website.',
      access: 'anyone',
      body: Credentials,
      status: 201,
      response: Session,
      errors: [400, 401],
      rateLimit: ACCOUNT_RATE_LIMIT,
      handle: async ({ body, request, reply }) => {
        const visitorCart = visitorCartOf(request);
        const result = await signIn(ctx, body);
        if (!result.ok) {
          if (result.locked) throw httpError(429, 'sign_in_locked', SIGN_IN_LOCKED);
          throw result.unverified
            ? httpError(401, 'email_not_confirmed', 'Confirm your e-mail address first: we have sent you a new link.')
            : httpError(401, 'invalid_credentials', 'That e-mail address and password did not match an account.');
        }
        const { visitorToken } = visitorCart;
        if (visitorToken) {
          await inTransaction(ctx.db, (tx) => mergeVisitorCart(ctx, tx, visitorToken, result.customerId));
          if (visitorCart.via === 'cookie') reply.clearCookie(CART_COOKIE, { path: '/' });
        }
        return { token: result.token, tokenType: 'Bearer' as const };
      },
    }),
    route(ctx, {
      method: 'DELETE',
      url: '/sessions/current',
      operationId: 'signOut',
      tag: 'Customers',
      summary: 'Sign out',
      description: 'Ends the session whose token (or cookie) the request carries.',
      access: 'customer',
      status: 204,
      errors: [401],
      handle: async ({ caller, reply }) => {
        await signOut(ctx, caller.sessionToken);
        if (caller.via === 'cookie') reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return undefined;
      },
    }),
    route(ctx, {
      method: 'GET',
      url: '/me',
      operationId: 'getProfile',
      tag: 'Customers',
      summary: 'The signed-in customer’s profile',
      access: 'customer',
      status: 200,
      response: Profile,
      errors: [401],
      handle: async ({ caller }) => profileBody(caller.customerId),
    }),
    route(ctx, {
      method: 'PATCH',
      url: '/me',
      operationId: 'updateProfile',
      tag: 'Customers',
      summary: 'Correct the name',
      access: 'customer',
      body: ProfileChange,
      status: 200,
      response: Profile,
      errors: [400, 401],
      handle: async ({ caller, body }) => {
        await updateName(ctx, caller.customerId, body.name);
        return profileBody(caller.customerId);
      },
    }),

    route(ctx, {
      method: 'GET',
      url: '/checkout/options',
      operationId: 'getCheckoutOptions',
      tag: 'Checkout',
      summary: 'Delivery options and countries',
      description: 'What `shippingOption` and `address.country` take at checkout. Delivery is free from `freeFromCents` of subtotal.',
      access: 'catalog',
      status: 200,
      response: CheckoutOptions,
      errors: [],
      handle: async ({ reply }) => {
        const [options, countries] = await Promise.all([shippingChoices(ctx, 0), shippingCountries(ctx)]);
        reply.header('cache-control', `public, max-age=${CATALOG_MAX_AGE_SECONDS}`);
        return {
          shippingOptions: options.map((o) => ({
            code: o.code,
            name: o.name,
            description: o.description,
            priceCents: o.priceCents,
            ...(o.freeFromCents === null ? {} : { freeFromCents: o.freeFromCents }),
            minDays: o.minDays,
            maxDays: o.maxDays,
          })),
          countries: countries.map((c) => ({ code: c.country, name: countryName(c.country) })),
        };
      },
    }),
    route(ctx, {
      method: 'POST',
      url: '/checkout',
      operationId: 'checkout',
      tag: 'Checkout',
      summary: 'Place an order from the cart and pay it',
      description:
        'Places an order from the caller’s cart (stock is taken, the cart emptied) and pays it with a TestPay card token. ' +
        'The Idempotency-Key names the order: sending the same request again answers the same order (200) and never ' +
        'places or charges twice. A declined card (402) leaves the order placed for an hour: send the same request, ' +
        'same key, with another card’s token to pay it.',
      access: 'cart',
      headers: IdempotencyHeaders,
      body: CheckoutRequest,
      status: 201,
      otherStatuses: { 200: 'The order this Idempotency-Key placed before, paid' },
      response: Order,
      errors: [400, 401, 402, 409],
      handle: async ({ caller, headers, body, reply }) => {
        const { cardToken, expectedSubtotalCents, ...details } = body;
        if (!ctx.payments.describeToken(cardToken)) {
          throw httpError(400, 'invalid_input', 'Some fields need attention.', { cardToken: 'This is not a TestPay card token, or it was altered: tokenize the card again.' });
        }
        const placed = await placeOrder(ctx, caller.owner, details, { checkoutKey: checkoutKey(caller.owner, headers['idempotency-key']), expectedSubtotalCents, sessionPass: false });
        if (!placed.ok) throw checkoutRefused(placed.problems);
        const paid = await payOrder(ctx, placed.orderId, cardToken);
        if (!paid.ok && paid.code === 'declined') {
          throw httpError(402, 'payment_declined', `${paid.message} Order ${placed.number} is kept unpaid for an hour: send the same request, with the same Idempotency-Key, and another card’s token to pay it.`);
        }
        if (!paid.ok) throw httpError(409, 'not_payable', paid.message);
        if (placed.repeated) reply.status(200);
        // The caller placed it a moment ago: they read their own order, as the confirmation page does; paid just now,
        // it is the order as the payment left it (read by the payment itself), otherwise it is read.
        return orderBody(paid.paid ?? (await orderForSubject(ctx, placed.orderId))!);
      },
    }),
    route(ctx, {
      method: 'GET',
      url: '/orders',
      operationId: 'listOrders',
      tag: 'Orders',
      summary: 'The signed-in customer’s orders',
      description: 'Newest first.',
      access: 'customer',
      status: 200,
      response: OrderList,
      errors: [401],
      handle: async ({ caller }) => ({
        orders: (await listCustomerOrders(ctx, caller.customerId)).map((o) => ({
          number: o.number,
          status: o.status,
          placedAt: o.placedAt.toISOString(),
          totalCents: o.totalCents,
          currency: o.currency,
          itemCount: o.itemCount,
          ...optional('trackingNumber', o.trackingNumber ?? undefined),
        })),
      }),
    }),
    route(ctx, {
      method: 'GET',
      url: '/orders/:number',
      operationId: 'getOrder',
      tag: 'Orders',
      summary: 'One of the signed-in customer’s orders',
      description: 'Another customer’s order, or one placed without signing in, is a 404 like one that does not exist.',
      access: 'customer',
      params: OrderParams,
      status: 200,
      response: Order,
      errors: [401, 404],
      handle: async ({ caller, params }) => {
        const detail = await findCustomerOrder(ctx, caller.customerId, params.number);
        if (!detail) throw httpError(404, 'not_found', `You have no order ${params.number}.`);
        return orderBody(detail);
      },
    }),
    ...privacyApiRoutes(platform),
  ];
}

export async function storeApiRoutes(app: FastifyInstance, platform: Platform) {
  const routes = storeRoutes(platform);
  await app.register(
    async (api) => {
      // JSON bodies only: an HTML form on another site can post form-encoded or plain text to any address, but
      // not JSON without asking first, so cross-site forms never reach a handler.
      api.removeAllContentTypeParsers();
      api.addContentTypeParser('application/json', { parseAs: 'string' }, api.getDefaultJsonParser('error', 'error'));
      for (const r of routes) {
        api.route({ method: r.method, url: r.url, config: { csrf: apiCsrf, ...(r.rateLimit ? { rateLimit: r.rateLimit } : {}) }, handler: r.handler });
      }
    },
    { prefix: STORE_API_PREFIX },
  );
  const document = Buffer.from(JSON.stringify(openApiDocument(routes, { prefix: STORE_API_PREFIX, serverUrl: platform.config.baseUrl, shopName: platform.config.shop.name })));
  app.get('/api/openapi.json', (_request, reply) => reply.header('cache-control', 'public, max-age=300').type('application/json; charset=utf-8').send(document));
}
