import type { FieldErrors } from '../../platform/http/errors.ts';
import { formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { isErased } from '../../privacy/vault/service.ts';
import { formatPrice } from '../catalog/service.ts';
import type { ReturnStatus } from './schema.ts';
import {
  COMMENT_MAX,
  quantityName,
  RETURN_REASONS,
  RETURN_WINDOW_DAYS,
  STAFF_RETURN_STATUS_WORDS,
  RETURN_STATUS_WORDS,
  type QueueRow,
  type ReturnForStaff,
  type ReturnOptions,
  type ReturnSummary,
} from './service.ts';

// The customer's return form and the status of their returns; support's queue and one return with its actions.

export type FormState = { values?: Record<string, string>; errors?: FieldErrors; message?: string | undefined };

const dateOnly = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' });
const day = (at: Date) => html`<time datetime="${at.toISOString()}">${dateOnly.format(at)}</time>`;

const itemsList = (items: ReturnSummary['items']) =>
  html`<ul class="return-items">${items.map((i) => html`<li>${i.quantity} × ${i.name}${i.variant ? html` <span class="variant">${i.variant}</span>` : ''}</li>`)}</ul>`;

/** The id, label, hint and error wiring every field on these forms shares. */
function fieldParts(name: string, error: string | undefined, hint?: string) {
  const id = `f-${name}`;
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return {
    id,
    attributes: html`${described ? html` aria-describedby="${described}"` : ''}${error ? html` aria-invalid="true"` : ''}`,
    hint: hint ? html`<span class="hint" id="${id}-hint">${hint}</span>` : html``,
    error: error ? html`<span class="error" id="${id}-error">${error}</span>` : html``,
  };
}

function textArea(name: string, label: string, state: { value: string | undefined; error: string | undefined; hint?: string; required?: boolean }): Html {
  const f = fieldParts(name, state.error, state.hint);
  return html`<div class="field${state.error ? ' has-error' : ''}">
  <label for="${f.id}">${label}</label>
  ${f.hint}
  <textarea id="${f.id}" name="${name}" rows="5" maxlength="${COMMENT_MAX}"${state.required ? html` required` : ''}${f.attributes}>${state.value ?? ''}</textarea>
  ${f.error}
</div>`;
}

/** The returns of one order and where each stands: on the return page, and for the order page to show. */
export function returnsSection(returns: readonly ReturnSummary[]): Html {
  if (returns.length === 0) return html``;
  return html`<section class="returns">
  <h2>Returns</h2>
  <ul>${returns.map(
    (r) => html`<li>
    <p>Asked on ${day(r.requestedAt)}: <strong>${RETURN_STATUS_WORDS[r.status]}</strong>${r.refundedAt ? html` (${formatPrice(r.refundCents)} refunded on ${day(r.refundedAt)})` : r.status === 'rejected' ? '' : html`. Refund: ${formatPrice(r.refundCents)}`}</p>
    ${itemsList(r.items)}
  </li>`,
  )}</ul>
</section>`;
}

function returnFormFields(options: ReturnOptions, state: FormState): Html {
  const v = state.values ?? {};
  const e = state.errors ?? {};
  const reason = fieldParts('reason', e.reason);
  return html`<table>
    <caption>What you are returning</caption>
    <thead><tr><th scope="col">Product</th><th scope="col">Price paid</th><th scope="col">Bought</th><th scope="col">Quantity to return</th></tr></thead>
    <tbody>${options.lines.map((line) => {
      const name = quantityName(line.position);
      const f = fieldParts(name, e[name], line.returnable < line.quantity ? `${line.quantity - line.returnable} already in a return` : undefined);
      return html`<tr>
      <td>${line.name}${line.variant ? html` <span class="variant">${line.variant}</span>` : ''}</td>
      <td>${formatPrice(line.unitPriceCents)}</td>
      <td>${line.quantity}</td>
      <td class="field${e[name] ? ' has-error' : ''}">
        <label for="${f.id}"><span class="visually-hidden">Quantity of ${line.name} to return, </span>0 to ${line.returnable}</label>
        ${f.hint}
        <input id="${f.id}" name="${name}" type="number" inputmode="numeric" min="0" max="${line.returnable}" value="${v[name] ?? '0'}"${line.returnable === 0 ? html` disabled` : ''}${f.attributes}>
        ${f.error}
      </td>
    </tr>`;
    })}</tbody>
  </table>
  <div class="field${e.reason ? ' has-error' : ''}">
    <label for="${reason.id}">Why are you returning it?</label>
    <select id="${reason.id}" name="reason"${reason.attributes}>
      <option value=""${v.reason ? '' : html` selected`}>Choose a reason</option>
      ${Object.entries(RETURN_REASONS).map(([code, label]) => html`<option value="${code}"${v.reason === code ? html` selected` : ''}>${label}</option>`)}
    </select>
    ${reason.error}
  </div>
  ${textArea('comment', 'Anything we should know? (optional)', { value: v.comment, error: e.comment, hint: `Up to ${COMMENT_MAX} characters. Please don't include medical details: for an allergic reaction, which product it was is enough.` })}`;
}

export function returnPage(csrf: Html, options: ReturnOptions, links: { action: string; order: string }, state: FormState = {}): Html {
  const { order, refusal } = options;
  const closes = order.deliveredAt && new Date(order.deliveredAt.getTime() + RETURN_WINDOW_DAYS * 24 * 60 * 60 * 1000);
  return html`<section class="return">
  <h1>Return items from order ${order.number}</h1>
  <p><a href="${links.order}">Back to the order</a></p>
  ${refusal
    ? html`<p class="notice" role="status">${refusal}</p>`
    : html`<p>You can return items until ${closes ? day(closes) : ''}. We refund the price you paid plus its tax; if you return everything, we refund the shipping too.
    We will tell you where to send the parcel once we have approved the return.</p>
  ${formError(state.message ?? state.errors?._)}
  <form class="stacked" method="post" action="${links.action}" novalidate>
    ${csrf}
    ${returnFormFields(options, state)}
    <button type="submit">Ask for the return</button>
  </form>`}
  ${returnsSection(options.returns)}
</section>`;
}

export function messagePage(title: string, text: string, link: { href: string; label: string }): Html {
  return html`<section class="message"><h1>${title}</h1><p>${text}</p><p><a href="${link.href}">${link.label}</a></p></section>`;
}

// ── the back office ─────────────────────────────────────────────────────────────────────────────────────────────

const itemCount = (items: readonly { quantity: number }[]) => items.reduce((sum, i) => sum + i.quantity, 0);

const QUEUE_GROUPS: { status: ReturnStatus; title: string; empty: string }[] = [
  { status: 'requested', title: 'New requests', empty: 'No request is waiting for a decision.' },
  { status: 'approved', title: 'Approved, parcel awaited', empty: 'No approved return is waiting for its parcel.' },
  { status: 'received', title: 'Parcel received, to refund', empty: 'No received return is waiting for its refund.' },
];

export function returnQueuePage(rows: readonly QueueRow[]): Html {
  return html`<section class="admin">
  <p><a href="/admin">Back office</a></p>
  <h1>Returns</h1>
  ${QUEUE_GROUPS.map(({ status, title, empty }) => {
    const group = rows.filter((r) => r.status === status);
    return html`<h2>${title}</h2>
  ${group.length === 0
    ? html`<p>${empty}</p>`
    : html`<table>
    <thead><tr><th scope="col">Asked on</th><th scope="col">Order</th><th scope="col">Items</th><th scope="col">Refund</th><th scope="col"><span class="visually-hidden">Open</span></th></tr></thead>
    <tbody>${group.map((r) => html`<tr><td>${day(r.requestedAt)}</td><td>${r.orderNumber}</td><td>${itemCount(r.items)}</td><td>${formatPrice(r.refundCents)}</td><td><a href="/admin/returns/${r.id}">Open<span class="visually-hidden"> the return for order ${r.orderNumber}</span></a></td></tr>`)}</tbody>
  </table>`}`;
  })}
</section>`;
}

function actions(csrf: Html, detail: ReturnForStaff, state: FormState): Html {
  const { request } = detail;
  const base = `/admin/returns/${request.id}`;
  switch (request.status) {
    case 'requested':
      return html`<h2>Decide</h2>
  <form method="post" action="${base}/approve">${csrf}<button type="submit">Approve and send the return address</button></form>
  <form class="stacked" method="post" action="${base}/reject" novalidate>
    ${csrf}
    ${textArea('message', 'Why the return is declined (sent to the customer)', { value: state.values?.message, error: state.errors?.message, required: true })}
    <button type="submit" class="secondary">Decline the return</button>
  </form>`;
    case 'approved':
      return html`<h2>Parcel</h2>
  <form method="post" action="${base}/receive">${csrf}<button type="submit">The parcel has arrived</button></form>`;
    case 'received':
      return html`<h2>Refund</h2>
  <form method="post" action="${base}/refund">${csrf}<button type="submit">Refund ${formatPrice(request.refundCents)}</button></form>`;
    case 'rejected':
    case 'refunded':
      return html``;
  }
}

export function returnDetailPage(csrf: Html, detail: ReturnForStaff, state: FormState = {}): Html {
  const { request, order, reason } = detail;
  return html`<section class="admin">
  <p><a href="/admin/returns">All returns</a></p>
  <h1>Return for order ${order.number}</h1>
  <p>Asked on ${day(request.requestedAt)}. Status: <strong>${STAFF_RETURN_STATUS_WORDS[request.status]}</strong>.</p>
  <table>
    <caption>Items to return</caption>
    <thead><tr><th scope="col">Product</th><th scope="col">Price paid</th><th scope="col">Quantity</th></tr></thead>
    <tbody>${request.items.map((i) => html`<tr><td>${i.name}${i.variant ? html` <span class="variant">${i.variant}</span>` : ''}</td><td>${formatPrice(i.unitPriceCents)}</td><td>${i.quantity}</td></tr>`)}</tbody>
    <tfoot><tr><th scope="row" colspan="2">Refund</th><td>${formatPrice(request.refundCents)}</td></tr></tfoot>
  </table>
  <h2>The customer’s reason</h2>
  ${isErased(reason)
    ? html`<p>The reason has been erased with the order’s data.</p>`
    : html`<p><strong>${RETURN_REASONS[reason.reason]}</strong></p>${reason.comment ? html`<blockquote class="comment">${reason.comment}</blockquote>` : html`<p class="note">No comment.</p>`}`}
  <p class="note">Reading the reason is recorded in the audit log (after-sales).</p>
  ${formError(state.message)}
  ${actions(csrf, detail, state)}
</section>`;
}
