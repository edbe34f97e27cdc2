import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { sameOrigin, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { NOTICE_SLOT } from '../../platform/http/layout.ts';
import { OPTIONAL_CATEGORIES } from '../cookies.ts';
import { keyringFrom } from '../vault/service.ts';
import {
  consentHistory,
  currentChoice,
  expireRefusedCookies,
  gpcOverrides,
  mustAsk,
  recordChoice,
  rememberChoice,
  sendsGpc,
  storedChoice,
  type ConsentRecord,
} from './service.ts';
import { consentBanner, cookieSettingsView, receiptView } from './views.ts';

/** Who is signed in, if anyone: handed in by the shop, so a choice can name its customer. */
export type CustomerOf = (request: FastifyRequest) => Promise<string | undefined>;

const ChoiceForm = z.object({
  from: z.enum(['banner', 'settings'], { error: 'from must be banner or settings' }),
  answer: z.enum(['accept', 'reject', 'choose'], { error: 'answer must be accept, reject or choose' }),
  categories: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? [] : [v].flat()))
    .pipe(z.array(z.enum(OPTIONAL_CATEGORIES, { error: `categories must be among ${OPTIONAL_CATEGORIES.join(', ')}` })).max(OPTIONAL_CATEGORIES.length)),
});

/** Puts the banner in the page's notice slot, or empties the slot. */
export function withConsentNotice(markup: string, ask: boolean): string {
  return markup.replace(NOTICE_SLOT, ask ? consentBanner.value : '');
}

/** The GPC statement (https://privacycg.github.io/gpc-spec/#gpc-support-resource). */
const GPC_SUPPORT = { gpc: true, lastUpdate: '2026-11-25' };

export function consentRoutes(app: FastifyInstance, { database, clock, masterKey, layout, config }: Platform, customerOf: CustomerOf) {
  const ctx = { db: database.db, clock, keys: keyringFrom(masterKey) };
  const secure = config.env === 'production';

  // A browser's first page with a GPC signal records a refusal, as the visitor's choice on that device, so it is in
  // their receipt; so does a signal arriving over an earlier opt-in made without it.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || !sendsGpc(request) || !request.headers.accept?.includes('text/html')) return;
    const choice = currentChoice(request);
    if (!gpcOverrides(request, choice) || (choice && choice.granted.length === 0)) return;
    const refusal = await recordChoice(ctx, { visitorId: storedChoice(request)?.visitorId, customerId: await customerOf(request), granted: [], method: 'gpc', underGpc: true });
    rememberChoice(request, reply, refusal, secure);
  });

  // Pages rendered for this request carry the banner until a choice is made (not the settings page, which is the
  // same form, nor the back office); cookies of a category the visitor has not granted are expired on every response.
  app.addHook('onSend', async (request, reply, payload) => {
    expireRefusedCookies(request, reply);
    if (typeof payload !== 'string' || !String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return payload;
    return withConsentNotice(payload, mustAsk(request) && !request.url.startsWith('/privacy/cookies') && !request.url.startsWith('/admin'));
  });

  app.get('/.well-known/gpc.json', (_request, reply) => reply.header('cache-control', 'public, max-age=86400').send(GPC_SUPPORT));

  app.get('/privacy/cookies', (request, reply) => {
    const choice = currentChoice(request);
    const saved = (request.query as { saved?: unknown }).saved === '1';
    return sendPrivatePage(reply, layout.page({ title: 'Cookies', body: cookieSettingsView(choice, gpcOverrides(request, choice), saved) }));
  });

  // The banner sits on pages cached for everyone, which carry no CSRF token: this form is checked by its Origin.
  app.post('/privacy/cookies', { config: { csrf: 'origin' } }, async (request, reply) => {
    const form = ChoiceForm.parse(request.body ?? {});
    const granted = form.answer === 'accept' ? OPTIONAL_CATEGORIES : form.answer === 'reject' ? [] : form.categories;
    const choice = await recordChoice(ctx, {
      visitorId: storedChoice(request)?.visitorId,
      customerId: await customerOf(request),
      granted,
      method: form.from,
      underGpc: sendsGpc(request),
    });
    rememberChoice(request, reply, choice, secure);
    return reply.redirect(form.from === 'banner' ? backTo(request) : '/privacy/cookies?saved=1', 303);
  });

  async function receipt(request: FastifyRequest): Promise<ConsentRecord[]> {
    return consentHistory(ctx, { visitorId: storedChoice(request)?.visitorId, customerId: await customerOf(request) });
  }

  app.get('/privacy/cookies/receipt', async (request, reply) => {
    return sendPrivatePage(reply, layout.page({ title: 'Your consent receipt', body: receiptView(await receipt(request)) }));
  });

  app.get('/privacy/cookies/receipt.json', async (request, reply) => {
    const records = (await receipt(request)).map((r) => ({
      recordId: r.id,
      policyRevision: r.policyRevision,
      granted: ['essential', ...r.granted],
      refused: r.refused,
      method: r.method,
      recordedAt: r.recordedAt.toISOString(),
    }));
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', 'attachment; filename="consent-receipt.json"')
      .send({
        shop: config.shop.name,
        controllerContact: config.shop.contactEmail,
        current: records[0] ?? null,
        records,
      });
  });
}

/** After answering the banner the visitor is back on the page they were reading (this site's pages only). */
function backTo(request: FastifyRequest): string {
  const referer = request.headers.referer;
  if (!referer || !sameOrigin({ referer }, request.protocol, request.host)) return '/';
  const url = new URL(referer);
  return `${url.pathname}${url.search}`;
}

