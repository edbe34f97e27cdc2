import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import helmet from 'helmet';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Clock } from '../clock.ts';
import { ConfigError, type Config } from '../config.ts';
import type { Database } from '../db/index.ts';
import type { Jobs } from '../jobs.ts';
import { deriveKey } from '../keys.ts';
import type { Log } from '../log.ts';
import type { MailSealer } from '../mail/service.ts';
import type { Assets } from './assets.ts';
import { PUBLIC_DIR } from './assets.ts';
import { frameworkErrors, httpError, installErrorHandling } from './errors.ts';
import { fieldWithNul } from './forms.ts';
import { html, type Html } from './html.ts';
import type { Layout } from './layout.ts';

/** Everything a feature needs from the platform, passed to it when it registers its routes. */
export type Platform = {
  config: Config;
  database: Database;
  clock: Clock;
  jobs: Jobs;
  log: Log;
  assets: Assets;
  layout: Layout;
  masterKey: Buffer;
  /** Seals outbox mail at rest (provided by the privacy engine's vault). */
  sealer: MailSealer;
};

/** A capability's routes: registered in order, after the platform's own. */
export type Feature = (app: FastifyInstance, platform: Platform) => void | Promise<void>;

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type CsrfMode = 'token' | 'origin' | false;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * How a state-changing route is protected against cross-site requests: by a token in the form (default);
     * by the browser's Origin (or Referer) header, for forms on pages cached for everyone, which cannot carry a
     * per-visitor token; or not at all, for routes authenticated otherwise (bearer tokens). A function decides per
     * request, for routes that accept either a credential header or the browser's cookies (the JSON API).
     */
    csrf?: CsrfMode | ((request: FastifyRequest) => CsrfMode);
  }
}

/** True when the request says it comes from a page of this same site (default ports compared as URLs do). */
export function sameOrigin(headers: Record<string, string | string[] | undefined>, protocol: string, host: string): boolean {
  const source = headers.origin ?? headers.referer;
  if (typeof source !== 'string') return false;
  try {
    const site = new URL(`${protocol}://${host}`);
    const from = new URL(source);
    return from.protocol === site.protocol && from.host === site.host;
  } catch {
    return false;
  }
}

export async function buildApp(platform: Platform, features: Feature[]): Promise<FastifyInstance> {
  const { config } = platform;
  const production = config.env === 'production';
  // Security headers from helmet, configured once. (@fastify/helmet rebuilds helmet on every request, which cost
  // the catalogue pages about a tenth of their throughput.)
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        objectSrc: ["'none'"],
        ...(production ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // Not helmet's no-referrer: under it a browser sends `Origin: null` with every form post, and the forms on
    // cached pages (add to cart), checked by their Origin, would be refused. Other sites still learn nothing.
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: production ? { maxAge: 31536000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
  });
  const app = Fastify({
    loggerInstance: platform.log as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    trustProxy: config.trustProxy,
    bodyLimit: 256 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    ...(config.tls ? { https: readTls(config.tls) } : {}),
    // A malformed or over-long address is refused before any route (and its hooks) runs: the shop's error page
    // all the same, with the security headers.
    frameworkErrors: frameworkErrors(platform.layout, !production, (request, reply, then) => securityHeaders(request.raw, reply.raw, then)),
  });

  installErrorHandling(app, platform.layout, !production);
  app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (error) => done(error as Error | undefined)));

  await app.register(fastifyCookie, { secret: deriveKey(platform.masterKey, 'cookie-signing').toString('base64') });
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, {
    cookieKey: production ? '__Host-csrf' : 'csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'strict', secure: production, signed: true },
  });

  // Every state-changing route is rate-limited per client unless it sets its own limit. This hook must be added
  // before the rate-limit plugin, whose own route hook reads the setting.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => STATE_CHANGING.has(m))) return;
    route.config = { ...route.config };
    (route.config as Record<string, unknown>).rateLimit ??= { max: config.formRateLimitPerMinute, timeWindow: '1 minute' };
  });
  await app.register(fastifyRateLimit, { global: false });

  // PostgreSQL's text cannot hold NUL: a body carrying one anywhere is refused here, naming the field, rather than
  // failing deep inside a query (as a 500) or, worse, after part of the work was written.
  app.addHook('preValidation', (request, _reply, done) => {
    const field = fieldWithNul(request.body);
    done(field === undefined ? undefined : httpError(400, 'invalid_input', 'Some fields need attention.', { [field]: 'Remove the NUL character (U+0000): text cannot hold it.' }));
  });

  // CSRF on every state-changing request, after the body is parsed (the token travels in the form).
  app.addHook('preHandler', (request, reply, done) => {
    const setting = request.routeOptions.config.csrf ?? 'token';
    const mode = typeof setting === 'function' ? setting(request) : setting;
    // An address that matches nothing changes nothing: it gets its 404, not a complaint about a missing token.
    if (!STATE_CHANGING.has(request.method) || mode === false || request.is404) return done();
    if (mode === 'origin') {
      return done(sameOrigin(request.headers, request.protocol, request.host) ? undefined : httpError(403, 'cross_site_request', 'This form was sent from another site. Go back to the shop and try again.'));
    }
    app.csrfProtection(request, reply, done);
  });

  await app.register(fastifyStatic, { root: PUBLIC_DIR, serve: false });
  app.get('/assets/:file', (request, reply) => {
    const file = platform.assets.resolve((request.params as { file: string }).file);
    if (!file) return reply.callNotFound();
    return reply.sendFile(file, { maxAge: '365d', immutable: true });
  });

  app.get('/healthz', async (_request, reply) => {
    const ok = await platform.database.ping();
    reply.header('cache-control', 'no-store');
    return reply.status(ok ? 200 : 503).send(ok ? { status: 'ok' } : { status: 'unavailable' });
  });

  for (const feature of features) await feature(app, platform);
  return app;
}

/** The certificate and key for direct TLS, read once at start; a file that cannot be read stops the shop, naming its setting. */
function readTls(tls: NonNullable<Config['tls']>): { cert: Buffer; key: Buffer } {
  const read = (file: string, setting: string) => {
    try {
      return fs.readFileSync(file);
    } catch {
      throw new ConfigError(`${setting} ${file} cannot be read`);
    }
  };
  return { cert: read(tls.certFile, 'PLEDGE_TLS_CERT'), key: read(tls.keyFile, 'PLEDGE_TLS_KEY') };
}

/** The hidden CSRF field every form carries. */
export function csrfField(reply: FastifyReply): Html {
  return html`<input type="hidden" name="_csrf" value="${reply.generateCsrf()}">`;
}

export function sendPage(reply: FastifyReply, markup: string | Buffer, status = 200) {
  return reply.status(status).type('text/html; charset=utf-8').send(markup);
}

/** A page about one visitor (their cart, account, sign-in form with their token): never stored by a cache. */
export function sendPrivatePage(reply: FastifyReply, markup: string | Buffer, status = 200) {
  return sendPage(reply.header('cache-control', 'no-store'), markup, status);
}
