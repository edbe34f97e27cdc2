import { z } from 'zod';
import { SESSION_COOKIE } from '../accounts/service.ts';
import { CART_COOKIE } from '../cart/routes.ts';
import { ErrorBody } from './contract.ts';
import type { Access, ErrorStatus, StoreRoute } from './route.ts';

// The OpenAPI 3.1 document of the store API, generated from the route declarations and their zod schemas (whose
// JSON Schema output is draft 2020-12, the dialect OpenAPI 3.1 uses). Nothing here is written by hand but prose.

export const API_VERSION = '1.0.0';

type JsonSchema = { [key: string]: unknown; properties?: Record<string, JsonSchema>; required?: string[]; description?: string };

/** Requests are described as clients write them (before defaults and transforms), answers as the shop sends them. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query' | 'header') {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input');
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    ...(property.description ? { description: property.description } : {}),
    schema: property,
  }));
}

const ERRORS: Record<ErrorStatus | '5XX', { name: string; description: string }> = {
  400: { name: 'InvalidInput', description: 'Bad input: `invalid_input` with a message per field, or a refused change with its own code (not_enough_stock…)' },
  401: { name: 'Unauthorized', description: 'No credentials, or a token that is not a live session' },
  402: { name: 'PaymentDeclined', description: 'The card was declined; nothing was charged' },
  403: { name: 'Forbidden', description: 'A request riding on cookies that did not come from this site, or an address not yet confirmed' },
  404: { name: 'NotFound', description: 'Nothing by that name (or not the caller’s)' },
  409: { name: 'Conflict', description: 'The request conflicts with the current state' },
  413: { name: 'TooLarge', description: 'The body is larger than 256 kB' },
  415: { name: 'UnsupportedMediaType', description: 'Request bodies must be application/json' },
  429: { name: 'RateLimited', description: 'Too many requests from this client; wait a minute' },
  '5XX': { name: 'ServerError', description: 'Something went wrong on the shop’s side' },
};

const SECURITY: Record<Access, Record<string, string[]>[]> = {
  catalog: [],
  anyone: [],
  // A customer's cart by their session, else a visitor's by its token; a first add needs none.
  cart: [{ bearer: [] }, { sessionCookie: [] }, { cartToken: [] }, { cartCookie: [] }, {}],
  customer: [{ bearer: [] }, { sessionCookie: [] }],
};

const STATE_CHANGING = new Set(['POST', 'PATCH', 'DELETE']);
/** Errors the platform may answer before a handler runs: unreadable bodies, cross-site requests, rate limits. */
const BODY_ERRORS: ErrorStatus[] = [400, 413, 415];
const CHANGE_ERRORS: ErrorStatus[] = [403, 429];

function operation(r: StoreRoute) {
  const errors = new Set<ErrorStatus | '5XX'>([
    ...r.errors,
    ...(r.body ? BODY_ERRORS : []),
    ...(STATE_CHANGING.has(r.method) ? CHANGE_ERRORS : []),
    '5XX',
  ]);
  const content = r.response ? { content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } } : {};
  const successes: Record<string, unknown> = { [r.status]: { description: r.summary, ...content } };
  for (const [status, description] of Object.entries(r.otherStatuses ?? {})) successes[status] = { description, ...content };
  const failures = Object.fromEntries([...errors].sort().map((s) => [String(s), { $ref: `#/components/responses/${ERRORS[s].name}` }]));
  return {
    operationId: r.operationId,
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    tags: [r.tag],
    security: SECURITY[r.access],
    parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query'), ...parameters(r.headers, 'header')],
    ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } } : {}),
    responses: { ...successes, ...failures },
  };
}

export function openApiDocument(routes: readonly StoreRoute[], o: { prefix: string; serverUrl: string; shopName: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = o.prefix + r.url.replace(/:(\w+)/g, '{$1}');
    (paths[path] ??= {})[r.method.toLowerCase()] = operation(r);
  }
  return {
    openapi: '3.1.1',
    info: {
      title: `${o.shopName} store API`,
      version: API_VERSION,
      description:
        'The catalogue, carts, customer accounts, checkout and orders as JSON. Amounts are integer US cents. Every error ' +
        'answer is `{ "error": { "code", "message", "fields"? } }`. Catalogue answers are public and cacheable; ' +
        'everything else is `Cache-Control: no-store`.',
    },
    servers: [{ url: o.serverUrl }],
    tags: [
      { name: 'Products', description: 'The catalogue: public, cacheable' },
      { name: 'Cart', description: 'A customer’s cart, or a visitor’s by its token' },
      { name: 'Customers', description: 'Accounts and sessions' },
      { name: 'Checkout', description: 'Placing and paying an order' },
      { name: 'Orders', description: 'A customer’s own orders' },
      { name: 'Privacy', description: 'A copy of one’s data, erasure, and a guest’s requests verified by a mailed code' },
    ].filter((tag) => routes.some((r) => r.tag === tag.name)),
    paths,
    components: {
      schemas: { Error: jsonSchema(ErrorBody, 'output') },
      responses: Object.fromEntries(
        Object.values(ERRORS).map(({ name, description }) => [name, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
      ),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A session token from POST /api/store/sessions' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'The website’s session cookie; state-changing requests must then come from the shop’s own pages (Origin)' },
        cartToken: { type: 'apiKey', in: 'header', name: 'X-Cart-Token', description: 'A visitor cart’s token, answered by its first add' },
        cartCookie: { type: 'apiKey', in: 'cookie', name: CART_COOKIE, description: 'The website’s cart cookie' },
      },
    },
  };
}
