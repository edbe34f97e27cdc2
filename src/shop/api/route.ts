import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { ZodError, type z } from 'zod';
import type { Clock } from '../../platform/clock.ts';
import type { Executor } from '../../platform/db/index.ts';
import { cartCallerOf, requireCustomer, type CartCaller, type SignedIn } from './caller.ts';

// One store API route, declared as data: what it takes (zod schemas for params, query, headers and body), who may
// call it, what it answers and which errors it can give. The same declaration is mounted on Fastify and turned into
// the OpenAPI document, so neither can list a route, a field or an error the other does not.

/**
 * catalog: public and cacheable, no credentials; anyone: no credentials needed, but private (sign-in, register);
 * cart: a customer's or a visitor's cart; customer: a signed-in customer only.
 */
export type Access = 'catalog' | 'anyone' | 'cart' | 'customer';

export type ErrorStatus = 400 | 401 | 402 | 403 | 404 | 409 | 413 | 415 | 429;

type CallerFor<A extends Access> = A extends 'customer' ? SignedIn : A extends 'cart' ? CartCaller : undefined;

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export type RouteInput<P, Q, H, B, A extends Access> = {
  params: Out<P>;
  query: Out<Q>;
  headers: Out<H>;
  body: Out<B>;
  caller: CallerFor<A>;
  request: FastifyRequest;
  reply: FastifyReply;
};

type Meta = {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Under /api/store, in Fastify's syntax (`/products/:slug`). */
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: 'Products' | 'Cart' | 'Customers' | 'Checkout' | 'Orders' | 'Privacy';
  /** The usual success status; a handler may set another from `otherStatuses`. */
  status: 200 | 201 | 202 | 204;
  otherStatuses?: Partial<Record<200 | 201, string>>;
  errors: readonly ErrorStatus[];
  rateLimit?: { max: number; timeWindow: string };
};

export type RouteSpec<P, Q, H, B, R, A extends Access> = Meta & {
  access: A;
  params?: P;
  query?: Q;
  headers?: H;
  body?: B;
  response?: R;
  handle(input: RouteInput<P, Q, H, B, A>): Promise<(R extends z.ZodType ? z.input<R> : undefined) | FastifyReply>;
};

/** A declared route with its handler bound: what the mount and the OpenAPI document read. */
export type StoreRoute = Meta & {
  access: Access;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: z.ZodType;
  response?: z.ZodType;
  handler: RouteHandlerMethod;
};

type Ctx = { db: Executor; clock: Clock };

async function callerFor<A extends Access>(ctx: Ctx, access: A, request: FastifyRequest): Promise<CallerFor<A>> {
  if (access === 'customer') return (await requireCustomer(ctx, request)) as CallerFor<A>;
  if (access === 'cart') return (await cartCallerOf(ctx, request)) as CallerFor<A>;
  return undefined as CallerFor<A>;
}

/**
 * Binds a declaration to its handler: a path that cannot name anything is a 404 at once; then credentials (401);
 * then every other input through its schema (a 400 with a message per field, from the app's error handler); then
 * the handler. Everything but the catalogue is personal or per-caller: no-store.
 */
export function route<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  H extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType | undefined = undefined,
  A extends Access = Access,
>(ctx: Ctx, spec: RouteSpec<P, Q, H, B, R, A>): StoreRoute {
  const { handle, ...declared } = spec;
  const handler: RouteHandlerMethod = async (request, reply) => {
    if (spec.access !== 'catalog') reply.header('cache-control', 'no-store');
    const params = spec.params?.safeParse(request.params);
    if (params && !params.success) return reply.callNotFound();
    const caller = await callerFor(ctx, spec.access, request);
    const query = spec.query?.safeParse(request.query);
    const headers = spec.headers?.safeParse(request.headers);
    const body = spec.body?.safeParse(request.body ?? {});
    // Every bad field at once, from the query, the headers and the body alike.
    const issues = [query, headers, body].flatMap((parsed) => parsed?.error?.issues ?? []);
    if (issues.length > 0) throw new ZodError(issues);
    const input = { params: params?.data, query: query?.data, headers: headers?.data, body: body?.data, caller, request, reply } as RouteInput<P, Q, H, B, A>;
    reply.status(spec.status);
    const result = await handle(input);
    return result === reply ? reply : reply.send(result);
  };
  return { ...(declared as Meta & Omit<StoreRoute, 'handler' | keyof Meta>), handler };
}
