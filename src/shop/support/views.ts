import type { FieldErrors } from '../../platform/http/errors.ts';
import { field, formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { PURPOSES } from '../../privacy/inventory.ts';
import { isErased, type Erased } from '../../privacy/vault/service.ts';
import { radioGroup, STATUS_LABELS, when } from '../backoffice/views.ts';
import { formatPrice } from '../catalog/service.ts';
import { addressLines } from '../orders/address.ts';
import type { Order, OrderLine } from '../orders/schema.ts';
import type { OrderContact, OrderEvent } from '../orders/service.ts';
import { REVEAL_PURPOSES, type RevealPurpose } from './service.ts';

// Support's pages: the look-up by order number, and the order as support sees it — everything but the customer's
// contact details, which open only through the "Show contact details" form, for a purpose, and are recorded.

export function lookupPage(state: { number?: string | undefined; error?: string | undefined } = {}): Html {
  return html`<section class="admin">
  <h1>Order look-up</h1>
  <form class="stacked" method="get" action="/admin/orders" role="search" novalidate>
    ${field({ name: 'number', label: 'Order number', value: state.number, error: state.error, hint: 'Exactly as on the customer’s e-mail, like P100001.' })}
    <button type="submit">Find the order</button>
  </form>
</section>`;
}

export type SupportOrder = { order: Order; lines: readonly OrderLine[]; events: readonly OrderEvent[] };

const eventLabel = (kind: string) => kind[0]!.toUpperCase() + kind.slice(1).replaceAll('_', ' ');

function contactPanel(csrf: Html, number: string, contact: { details: Partial<OrderContact>; purpose: RevealPurpose } | undefined, errors: FieldErrors): Html {
  if (contact) {
    const { email, recipientName, phone, address } = contact.details;
    const shown = (value: string | Erased | undefined) => (value === undefined ? 'Not given' : isErased(value) ? 'Erased' : value);
    return html`<p class="note">This view is recorded: your name, this order, the fields shown and the purpose (${PURPOSES[contact.purpose]}).</p>
  <dl>
    <dt>Name</dt><dd>${shown(recipientName)}</dd>
    <dt>E-mail</dt><dd>${shown(email)}</dd>
    <dt>Phone</dt><dd>${shown(phone)}</dd>
    <dt>Address</dt><dd>${address === undefined || isErased(address) || recipientName === undefined || isErased(recipientName) ? 'Erased' : html`<address>${addressLines({ ...address, recipientName }).map((l) => html`${l}<br>`)}</address>`}</dd>
  </dl>`;
  }
  return html`<form class="stacked" method="post" action="/admin/orders/${number}/contact" novalidate>
    ${csrf}
    <p class="note">The customer’s name, e-mail, phone and address are not shown until you ask. This view is recorded: who opened which details of this order, and why.</p>
    ${formError(errors._)}
    ${radioGroup({ name: 'purpose', label: 'Why do you need them?', value: undefined, error: errors.purpose, options: REVEAL_PURPOSES.map((p) => ({ value: p, label: PURPOSES[p] })) })}
    <button type="submit">Show contact details</button>
  </form>`;
}

export function supportOrderPage(
  csrf: Html,
  { order, lines, events }: SupportOrder,
  contact?: { details: Partial<OrderContact>; purpose: RevealPurpose },
  errors: FieldErrors = {},
): Html {
  return html`<section class="admin">
  <p><a href="/admin/orders">Order look-up</a></p>
  <h1>Order ${order.number}</h1>
  <dl>
    <dt>Status</dt><dd>${STATUS_LABELS[order.status]}</dd>
    <dt>Placed</dt><dd>${when(order.placedAt)}</dd>
    <dt>Paid</dt><dd>${when(order.paidAt)}</dd>
    ${order.shippedAt ? html`<dt>Shipped</dt><dd>${when(order.shippedAt)}, ${order.carrier} ${order.trackingNumber}</dd>` : ''}
    ${order.deliveredAt ? html`<dt>Delivered</dt><dd>${when(order.deliveredAt)}</dd>` : ''}
    ${order.cancelledAt ? html`<dt>Cancelled</dt><dd>${when(order.cancelledAt)}</dd>` : ''}
    ${order.returnedAt ? html`<dt>Returned</dt><dd>${when(order.returnedAt)}</dd>` : ''}
    <dt>Delivery</dt><dd>${order.shippingOptionName}</dd>
  </dl>
  <table>
    <caption>Items</caption>
    <thead><tr><th scope="col">Product</th><th scope="col">Price</th><th scope="col">Quantity</th><th scope="col">Total</th></tr></thead>
    <tbody>${lines.map((l) => html`<tr><td>${l.name}${l.variant ? html` <span class="variant">${l.variant}</span>` : ''}</td><td>${formatPrice(l.unitPriceCents)}</td><td>${l.quantity}</td><td>${formatPrice(l.lineTotalCents)}</td></tr>`)}</tbody>
    <tfoot>
      <tr><th scope="row" colspan="3">Subtotal</th><td>${formatPrice(order.subtotalCents)}</td></tr>
      <tr><th scope="row" colspan="3">${order.shippingOptionName}</th><td>${order.shippingCents === 0 ? 'Free' : formatPrice(order.shippingCents)}</td></tr>
      <tr><th scope="row" colspan="3">Tax (${(order.taxRateBasisPoints / 100).toFixed(2)} %)</th><td>${formatPrice(order.taxCents)}</td></tr>
      <tr><th scope="row" colspan="3">Total</th><td>${formatPrice(order.totalCents)}</td></tr>
    </tfoot>
  </table>
  <h2>History</h2>
  <ol>${events.map((e) => html`<li>${when(e.at)}: ${eventLabel(e.kind)}</li>`)}</ol>
  <h2>Contact details</h2>
  ${contactPanel(csrf, order.number, contact, errors)}
</section>`;
}
