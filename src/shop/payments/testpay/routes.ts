import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../../platform/http/app.ts';
import { fieldErrors, httpError } from '../../../platform/http/errors.ts';
import { shopContext } from '../../context.ts';
import { cardSchema } from './service.ts';

// TestPay's own endpoint, standing in for a remote provider's: the pay page's card form posts here, not to the
// shop, so the card number never passes through a shop route. Like a remote provider it knows no shop session and
// takes no shop CSRF token (a shop token in the card form would hand it to the provider); a form post goes back to
// the shop's review page with a token, a JSON post (the store API's clients) gets the token as JSON. The number is
// never echoed: not in a redirect, not in an error, not in a log (the request log holds route patterns only).

/** The only place a browser is sent back to: a checkout review page of this shop, named by a relative path. */
const RETURN_TO = /^\/checkout\/pay\/([A-Za-z0-9]{1,20})\/review$/;

export function testPayRoutes(app: FastifyInstance, platform: Platform) {
  const { payments, clock } = shopContext(platform);

  // Card-testing scripts try numbers by the thousand: a provider allows a few attempts a minute.
  app.post('/testpay/tokens', { config: { csrf: false, rateLimit: { max: 20, timeWindow: '1 minute' } } }, async (request, reply) => {
    const json = request.headers['content-type']?.startsWith('application/json') ?? false;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const back = json ? undefined : RETURN_TO.exec(typeof body.returnTo === 'string' ? body.returnTo : '');
    if (!json && !back) throw httpError(400, 'invalid_return_to', 'returnTo must be a checkout page of this shop, like /checkout/pay/P100001/review.');
    const card = cardSchema(clock.now()).safeParse(body);
    if (!card.success) {
      const fields = fieldErrors(card.error);
      if (back) return reply.redirect(`/checkout/pay/${back[1]}?error=${encodeURIComponent(Object.keys(fields)[0] ?? 'number')}`, 303);
      return reply.status(400).send({ error: { code: 'invalid_card', message: 'Check the card details.', fields } });
    }
    const { token, card: summary } = payments.tokenize(card.data);
    if (back) return reply.redirect(`${back[0]}?token=${encodeURIComponent(token)}`, 303);
    return reply.status(201).send({ id: token, card: summary });
  });
}
