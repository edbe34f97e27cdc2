import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../platform/http/app.ts';
import { wantsJson } from '../../platform/http/errors.ts';
import { html } from '../../platform/http/html.ts';
import { restoreIsPending } from './service.ts';

// While a restored database waits for its erasure replay, it still remembers customers who asked to be forgotten:
// the shop serves nobody (503, health check included, so a load balancer sends traffic elsewhere) until the replay
// is done. The mark is looked up at most every few seconds, so a restore made under running instances is seen too.

const CHECK_EVERY_MS = { serving: 5000, waiting: 1000 };
const RETRY_AFTER_SECONDS = 30;

export function restoreGate(app: FastifyInstance, platform: Platform): void {
  let pending = false;
  // A monotonic timer, not the shop's clock: this paces a cache, it is no business time.
  let checkedAt = -Infinity;
  let checking: Promise<void> | undefined;
  const check = () =>
    (checking ??= restoreIsPending(platform.database.db)
      .then(
        (answer) => {
          pending = answer;
          checkedAt = performance.now();
        },
        // The database is unreachable: the health check says so; the next request asks again.
        () => undefined,
      )
      .finally(() => (checking = undefined)));

  // Known before the first request is taken, so that one waits for nothing.
  app.addHook('onReady', check);
  app.addHook('onRequest', async (request, reply) => {
    if (performance.now() - checkedAt > CHECK_EVERY_MS[pending ? 'waiting' : 'serving']) await check();
    if (!pending || request.url.startsWith('/assets/')) return;
    reply.status(503).header('retry-after', String(RETRY_AFTER_SECONDS)).header('cache-control', 'no-store');
    const message = 'The shop is being restored from a backup and will be back in a few minutes.';
    if (wantsJson(request)) return reply.send({ error: { code: 'restoring', message } });
    const title = 'Back in a few minutes';
    return reply.type('text/html; charset=utf-8').send(
      platform.layout.page({
        title,
        body: html`<section class="error-page">
  <h1>${title}</h1>
  <p>${message}</p>
  <p>Before it opens again, everyone who asked to be forgotten since the backup was made is forgotten again.</p>
</section>`,
      }),
    );
  });
}
