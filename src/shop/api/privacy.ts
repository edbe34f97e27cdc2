import type { z } from 'zod';
import type { Platform } from '../../platform/http/app.ts';
import { httpError } from '../../platform/http/errors.ts';
import { requestsOfCustomer } from '../../privacy/requests/service.ts';
import { SESSION_COOKIE } from '../accounts/service.ts';
import { copyStatus, eraseAccount, privacyCenterContext, requestAsGuest, requestCopy, verifyGuest, type ErasureOutcome as ErasureOutcomeOf } from '../privacy-center/service.ts';
import { forgetViews } from '../recommendations/service.ts';
import {
  CopyRequested,
  CopyStatus,
  ErasureOutcome,
  ErasureRequest,
  GuestRequest,
  GuestRequestStarted,
  GuestVerification,
  GuestVerified,
  PrivacyRequestList,
  RequestParams,
} from './contract.ts';
import { route, type StoreRoute } from './route.ts';

// The privacy center's actions under /api/store/privacy (seed 000 §8): the same services as /privacy-center, the
// same rules (a password to erase, a mailed code for guests, a copy's link mailed and usable once).

/** Passwords and codes are what scripts guess: the same tight limit as the privacy center's forms. */
const GUESSABLE = { max: 10, timeWindow: '1 minute' };

function outcomeBody(outcome: ErasureOutcomeOf): z.input<typeof ErasureOutcome> {
  return {
    cancelled: outcome.cancelled.map((o) => ({ number: o.number, totalCents: o.totalCents, refunded: o.refunded })),
    erased: outcome.erased.map((e) => ({ kind: e.kind, label: e.label, count: e.count })),
    held: outcome.held.map((h) => ({ kind: h.kind, label: h.label, count: h.count, until: h.until, why: h.why })),
  };
}

export function privacyApiRoutes(platform: Platform): StoreRoute[] {
  const ctx = privacyCenterContext(platform);
  return [
    route(ctx, {
      method: 'GET',
      url: '/privacy/requests',
      operationId: 'listPrivacyRequests',
      tag: 'Privacy',
      summary: 'The signed-in customer’s privacy requests',
      access: 'customer',
      status: 200,
      response: PrivacyRequestList,
      errors: [401],
      handle: async ({ caller }) => ({
        requests: (await requestsOfCustomer(ctx.db, caller.customerId)).map((r) => ({
          id: r.id,
          kind: r.kind,
          status: r.status,
          receivedAt: r.receivedAt.toISOString(),
          dueAt: r.dueAt.toISOString(),
          ...(r.completedAt ? { completedAt: r.completedAt.toISOString() } : {}),
        })),
      }),
    }),
    route(ctx, {
      method: 'POST',
      url: '/privacy/copies',
      operationId: 'requestCopy',
      tag: 'Privacy',
      summary: 'Ask for a copy of everything held about the customer',
      description: 'A job prepares it; the single-use download link is e-mailed to the account’s address and works once, within 3 days (JSON, a readable page or a zip of CSV files).',
      access: 'customer',
      status: 202,
      response: CopyRequested,
      errors: [401],
      handle: async ({ caller, request }) => {
        const requestId = await requestCopy(ctx, caller.customerId, request.ip);
        if (!requestId) throw httpError(401, 'unauthorized', 'This account no longer exists.');
        return { requestId, message: 'We are preparing your copy. A link to download it will be e-mailed to you shortly; it works once, within 3 days.' };
      },
    }),
    route(ctx, {
      method: 'GET',
      url: '/privacy/copies/:id',
      operationId: 'getCopyStatus',
      tag: 'Privacy',
      summary: 'Where a copy request stands',
      description: 'The copy itself is fetched through the e-mailed link only, never through this API.',
      access: 'customer',
      params: RequestParams,
      status: 200,
      response: CopyStatus,
      errors: [401, 404],
      handle: async ({ caller, params }) => {
        const copy = await copyStatus(ctx, caller.customerId, params.id);
        if (!copy) throw httpError(404, 'not_found', 'You have no copy request with that id.');
        return {
          requestId: copy.requestId,
          status: copy.status,
          receivedAt: copy.receivedAt.toISOString(),
          ...(copy.readyAt ? { readyAt: copy.readyAt.toISOString() } : {}),
          ...(copy.expiresAt ? { expiresAt: copy.expiresAt.toISOString() } : {}),
        };
      },
    }),
    route(ctx, {
      method: 'POST',
      url: '/privacy/erasure',
      operationId: 'eraseAccount',
      tag: 'Privacy',
      summary: 'Erase the account and everything no longer needed',
      description:
        'Done at once. Orders inside their legal retention term are kept encrypted, out of staff’s sight, until it ends; the answer and a confirmation e-mail list what was deleted and what is held, until when and why. Every session ends.',
      access: 'customer',
      body: ErasureRequest,
      status: 200,
      response: ErasureOutcome,
      errors: [400, 401],
      rateLimit: GUESSABLE,
      handle: async ({ caller, body, reply }) => {
        const result = await eraseAccount(ctx, caller.customerId, body.password);
        if (!result.ok) throw httpError(400, 'wrong_password', result.message, { password: result.message });
        if (caller.via === 'cookie') {
          reply.clearCookie(SESSION_COOKIE, { path: '/' });
          forgetViews(reply);
        }
        return { requestId: result.requestId, ...outcomeBody(result.outcome) };
      },
    }),
    route(ctx, {
      method: 'POST',
      url: '/privacy/guest-requests',
      operationId: 'startGuestRequest',
      tag: 'Privacy',
      summary: 'Ask, without an account, for a copy or deletion of what is held under an address',
      description: 'A 6-digit code is mailed to the address, valid 30 minutes. The answer is the same whether or not anything is held under it.',
      access: 'anyone',
      body: GuestRequest,
      status: 202,
      response: GuestRequestStarted,
      errors: [400],
      rateLimit: GUESSABLE,
      handle: async ({ body, request }) => ({
        requestId: await requestAsGuest(ctx, body.kind, body.email, request.ip),
        message: 'We have sent a 6-digit code to that address. It works for 30 minutes.',
      }),
    }),
    route(ctx, {
      method: 'POST',
      url: '/privacy/guest-requests/:id/verification',
      operationId: 'verifyGuestRequest',
      tag: 'Privacy',
      summary: 'Confirm a guest’s request with the mailed code',
      description: 'A right code runs the request at once: a copy answers its single-use link (also e-mailed); an erasure answers what was deleted and what is held. Five wrong codes end the request.',
      access: 'anyone',
      params: RequestParams,
      body: GuestVerification,
      status: 200,
      response: GuestVerified,
      errors: [400, 404],
      rateLimit: GUESSABLE,
      handle: async ({ params, body, request }) => {
        const result = await verifyGuest(ctx, params.id, body.email, body.code, request.ip);
        if (!result.ok) throw httpError(400, 'wrong_code', result.message, { code: result.message });
        if (result.kind === 'erasure') return { kind: 'erasure' as const, ...outcomeBody(result.outcome) };
        if (!result.token) throw httpError(404, 'not_found', 'This request has nothing left to answer.');
        return { kind: 'access' as const, downloadUrl: `${ctx.baseUrl}/privacy-center/copy/${result.token}` };
      },
    }),
  ];
}
