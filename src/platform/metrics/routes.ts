import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/index.ts';
import type { Feature, Platform } from '../http/app.ts';
import { CONTENT_TYPE, counter, histogram, render, type MetricFamily } from './exposition.ts';

// GET /metrics for Prometheus, only when PLEDGE_METRICS_TOKEN is set, and only with that token as a bearer token.
// Requests are labelled by route pattern (`/orders/:number`), never by the address asked for, so no label can carry
// an order number, a token or an e-mail address. Gauges are read from the database at each scrape, so every
// instance behind a load balancer reports the same shop-wide figures beside its own request counts.

/** Figures another part of the shop adds to each scrape (the privacy engine's backlogs). */
export type Gauges = (platform: Platform) => Promise<MetricFamily[]>;

const sameToken = (given: string, expected: string) => timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());

export function metricsRoutes(gauges: Gauges[]): Feature {
  return (app: FastifyInstance, platform: Platform) => {
    const token = platform.config.metricsToken;
    if (!token) return;
    const requests = counter();
    const latency = histogram();
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      requests.inc({ method: request.method, route, status: String(reply.statusCode) });
      latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });

    app.get('/metrics', async (request, reply) => {
      const given = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      reply.header('cache-control', 'no-store');
      if (!given || !sameToken(given, token)) {
        return reply.status(401).header('www-authenticate', 'Bearer realm="metrics"').type('text/plain; charset=utf-8').send('A metrics token is needed (Authorization: Bearer …).\n');
      }
      const families: MetricFamily[] = [
        { name: 'pledge_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status.', type: 'counter', samples: requests.samples() },
        { name: 'pledge_http_request_duration_seconds', help: 'Time to answer HTTP requests, by method and route pattern.', type: 'histogram', samples: latency.samples() },
        ...(await platformGauges(platform)),
        ...(await Promise.all(gauges.map((g) => g(platform)))).flat(),
      ];
      return reply.type(CONTENT_TYPE).send(render(families));
    });
  };
}

async function platformGauges(platform: Platform): Promise<MetricFamily[]> {
  const db = platform.database.db;
  const jobs = await queryRows<{ name: string; state: string; n: number }>(db, sql`select name, state::text as state, count(*)::int as n from pgboss.job group by name, state order by name, state`);
  const outbox = await queryRows<{ status: string; n: number; oldest: string | Date | null }>(
    db,
    sql`select status, count(*)::int as n, min(created_at) as oldest from outbox where status in ('pending', 'sending', 'failed') group by status order by status`,
  );
  const now = platform.clock.now().getTime();
  const pending = outbox.find((o) => o.status === 'pending');
  return [
    { name: 'pledge_jobs', help: 'Background jobs by queue and state (created and retry are waiting; failed gave up).', type: 'gauge', samples: jobs.map((j) => ({ labels: { queue: j.name, state: j.state }, value: j.n })) },
    { name: 'pledge_outbox_messages', help: 'E-mails not yet sent, by status.', type: 'gauge', samples: outbox.map((o) => ({ labels: { status: o.status }, value: o.n })) },
    {
      name: 'pledge_outbox_oldest_pending_seconds',
      help: 'Age of the oldest e-mail waiting to be sent (0 when none waits).',
      type: 'gauge',
      samples: [{ value: pending?.oldest ? Math.max(0, (now - new Date(pending.oldest).getTime()) / 1000) : 0 }],
    },
  ];
}
