import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import type { Layout } from './layout.ts';
import { html } from './html.ts';

// Every failure reaches the client as a clear status and message: 4xx for what the client can fix, 500 for the
// rest. The HTML pages and JSON bodies have one shape everywhere; stacks are shown only in development.

export type FieldErrors = Record<string, string>;

export type HttpError = Error & { statusCode: number; code: string; fields?: FieldErrors };

export function httpError(statusCode: number, code: string, message: string, fields?: FieldErrors): HttpError {
  return Object.assign(new Error(message), { statusCode, code, ...(fields ? { fields } : {}) });
}

export function fieldErrors(error: ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '_';
    fields[key] ??= issue.message;
  }
  return fields;
}

const KNOWN: Record<string, { status: number; message: string }> = {
  FST_CSRF_INVALID_TOKEN: { status: 403, message: 'This form has expired or was sent from another site. Reload the page and try again.' },
  FST_CSRF_MISSING_SECRET: { status: 403, message: 'This form has expired or was sent from another site. Reload the page and try again.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, message: 'That content type is not accepted here.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, message: 'The request is too large.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, message: 'The request body is empty.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, message: 'The request body is not valid JSON.' },
};

type Normalised = { status: number; code: string; message: string; fields?: FieldErrors };

function normalise(error: FastifyError | HttpError | ZodError): Normalised {
  if (error instanceof ZodError) {
    return { status: 400, code: 'invalid_input', message: 'Some fields need attention.', fields: fieldErrors(error) };
  }
  const known = error.code ? KNOWN[error.code] : undefined;
  if (known) return { status: known.status, code: error.code.toLowerCase(), message: known.message };
  const status = error.statusCode ?? 500;
  // The rate limiter's own refusals carry no code; a 429 of the shop's (a locked sign-in) keeps its message.
  if (status === 429 && !error.code) return { status, code: 'rate_limited', message: 'Too many requests. Please wait a minute and try again.' };
  if ('validation' in error && error.validation) return { status: 400, code: 'invalid_input', message: error.message };
  if (status >= 400 && status < 500) {
    return { status, code: error.code ?? 'bad_request', message: error.message, ...('fields' in error && error.fields ? { fields: error.fields } : {}) };
  }
  return { status: 500, code: 'internal_error', message: 'Something went wrong on our side. Please try again in a moment.' };
}

export function wantsJson(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/')) return true;
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

const TITLES: Record<number, string> = { 400: 'Please check your input', 403: 'Not allowed', 404: 'Page not found', 413: 'Too large', 414: 'Address too long', 415: 'Not accepted', 429: 'Slow down', 500: 'Something went wrong' };

export function sendError(layout: Pick<Layout, 'page'>, showStacks: boolean, request: FastifyRequest, reply: FastifyReply, problem: Normalised, stack?: string) {
  reply.status(problem.status);
  if (wantsJson(request)) {
    return reply.send({ error: { code: problem.code, message: problem.message, ...(problem.fields ? { fields: problem.fields } : {}) } });
  }
  const title = TITLES[problem.status] ?? (problem.status >= 500 ? TITLES[500]! : TITLES[400]!);
  const body = html`<section class="error-page">
  <h1>${title}</h1>
  <p>${problem.message}</p>
  ${problem.fields ? html`<ul class="field-errors">${Object.entries(problem.fields).map(([field, message]) => html`<li><strong>${field}</strong>: ${message}</li>`)}</ul>` : ''}
  <p class="error-id">Reference: ${request.id}</p>
  ${showStacks && stack ? html`<pre class="stack">${stack}</pre>` : ''}
  <p><a href="/">Back to the shop</a></p>
</section>`;
  return reply.type('text/html; charset=utf-8').send(layout.page({ title, body }));
}

export function installErrorHandling(app: FastifyInstance, layout: Pick<Layout, 'page'>, showStacks: boolean) {
  app.setErrorHandler((error: FastifyError | HttpError | ZodError, request, reply) => {
    const problem = normalise(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(layout, showStacks, request, reply, problem, problem.status >= 500 ? error.stack : undefined);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(layout, showStacks, request, reply, { status: 404, code: 'not_found', message: 'There is nothing at this address. It may have moved, or the link may be mistyped.' }),
  );
}

/**
 * Fastify's own refusals, made before any route is found: an address that is not valid URL encoding, or a
 * parameter longer than the router takes. They get the shop's error page (or JSON), never Fastify's bare JSON.
 */
export function frameworkErrors(layout: Pick<Layout, 'page'>, showStacks: boolean, withHeaders: (request: FastifyRequest, reply: FastifyReply, then: () => void) => void) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const problem: Normalised =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? { status: 414, code: 'address_too_long', message: 'This address is too long. Check the link and try again.' }
        : { status: 400, code: 'bad_address', message: 'This address is not valid. Check the link and try again.' };
    withHeaders(request, reply, () => void sendError(layout, showStacks, request, reply, problem));
  };
}
