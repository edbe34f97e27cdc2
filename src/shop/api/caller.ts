import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../platform/clock.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { CsrfMode } from '../../platform/http/app.ts';
import { httpError } from '../../platform/http/errors.ts';
import { TOKEN_PATTERN } from '../../platform/secrets.ts';
import { SESSION_COOKIE, sessionCustomer, signedInCustomer } from '../accounts/service.ts';
import { CART_COOKIE } from '../cart/routes.ts';
import type { CartOwner } from '../cart/service.ts';

// Who is calling the store API. An API client shows its credentials in headers: a customer's session token as
// `Authorization: Bearer`, a visitor's cart token as `X-Cart-Token`. A browser script may instead ride on the
// cookies the HTML pages set (the session and the cart cookie). A header, when present, is the only thing looked
// at for what it names: a bad bearer token is a 401, never a fall-back to the cookie.

export const CART_TOKEN_HEADER = 'x-cart-token';

type Ctx = { db: Executor; clock: Clock };

export type SignedIn = { customerId: string; sessionToken: string; via: 'bearer' | 'cookie' };

export type CartCaller = { owner: CartOwner; via: 'customer' | 'header' | 'cookie' | 'none' };

const CartTokenHeader = z.object({
  [CART_TOKEN_HEADER]: z.string().regex(TOKEN_PATTERN, 'X-Cart-Token must be a cart token this shop issued').optional(),
});

function unauthorized(message: string) {
  return httpError(401, 'unauthorized', message);
}

/** The signed-in customer, if any; a bearer token that is malformed or not a live session is refused. */
export async function customerOf(ctx: Ctx, request: FastifyRequest): Promise<SignedIn | undefined> {
  const { authorization } = request.headers;
  if (authorization !== undefined) {
    const token = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '';
    const customerId = TOKEN_PATTERN.test(token) ? await sessionCustomer(ctx, token) : undefined;
    if (!customerId) throw unauthorized('The bearer token is not a live session. Sign in again.');
    return { customerId, sessionToken: token, via: 'bearer' };
  }
  const customerId = await signedInCustomer(ctx, request);
  return customerId ? { customerId, sessionToken: request.cookies[SESSION_COOKIE]!, via: 'cookie' } : undefined;
}

export async function requireCustomer(ctx: Ctx, request: FastifyRequest): Promise<SignedIn> {
  const customer = await customerOf(ctx, request);
  if (!customer) throw unauthorized('Sign in first: send your session token as Authorization: Bearer <token>.');
  return customer;
}

/** A visitor's cart token: from the X-Cart-Token header, else from the cart cookie. */
export function visitorCartOf(request: FastifyRequest): { visitorToken: string | undefined; via: 'header' | 'cookie' | 'none' } {
  const header = CartTokenHeader.parse(request.headers)[CART_TOKEN_HEADER];
  if (header) return { visitorToken: header, via: 'header' };
  const cookie = request.cookies[CART_COOKIE];
  return { visitorToken: cookie, via: cookie ? 'cookie' : 'none' };
}

/** Whose cart: a signed-in customer's, else the visitor's. */
export async function cartCallerOf(ctx: Ctx, request: FastifyRequest): Promise<CartCaller> {
  const customer = await customerOf(ctx, request);
  if (customer) return { owner: { customerId: customer.customerId }, via: 'customer' };
  const { visitorToken, via } = visitorCartOf(request);
  return { owner: { visitorToken }, via };
}

/**
 * Cross-site request protection for the API's state-changing routes: a request whose identity may come from the
 * browser's cookies must come from a page of this site (its Origin); one that shows its credentials in headers
 * cannot be forged by another site (a browser sends no custom header cross-site without CORS, which this shop
 * does not grant), and one with neither acts for nobody.
 */
export function apiCsrf(request: FastifyRequest): CsrfMode {
  if (request.headers.authorization !== undefined) return false;
  const session = request.cookies[SESSION_COOKIE] !== undefined;
  const cartCookie = request.headers[CART_TOKEN_HEADER] === undefined && request.cookies[CART_COOKIE] !== undefined;
  return session || cartCookie ? 'origin' : false;
}
