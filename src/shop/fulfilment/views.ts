import { formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { isErased } from '../../privacy/vault/service.ts';
import { formatPrice } from '../catalog/service.ts';
import { addressLines, countryName } from '../orders/address.ts';
import type { OrderLine, OrderStatus } from '../orders/schema.ts';
import type { OrderContact } from '../orders/service.ts';
import { STATUS_LABELS, when } from '../backoffice/views.ts';
import type { Queue, QueueRow } from './service.ts';

// Fulfilment's pages: the queue (no personal data) and one order's packing page, where the delivery details are
// opened and every view is recorded.

function queueTable(caption: string, rows: readonly QueueRow[], since: (r: QueueRow) => Date | null, sinceLabel: string, empty: string): Html {
  if (rows.length === 0) return html`<h2>${caption}</h2><p>${empty}</p>`;
  return html`<h2>${caption}</h2>
  <table>
    <thead><tr><th scope="col">Order</th><th scope="col">${sinceLabel}</th><th scope="col">Items</th><th scope="col">Destination</th><th scope="col">Delivery</th></tr></thead>
    <tbody>${rows.map(
      (r) => html`<tr><td><a href="/admin/fulfilment/${r.number}">${r.number}</a></td><td>${when(since(r))}</td><td>${r.itemCount}</td><td>${countryName(r.shippingCountry)}</td><td>${r.shippingOptionName}${r.trackingNumber ? html`<br>${r.carrier} ${r.trackingNumber}` : ''}</td></tr>`,
    )}</tbody>
  </table>`;
}

export function queuePage(queue: Queue, limit: number): Html {
  return html`<section class="admin">
  <h1>Orders to ship</h1>
  <p class="note">Oldest first${Object.values(queue).some((rows) => rows.length >= limit) ? `, the first ${limit} of each step` : ''}. The recipient’s name, address and phone are on each order’s page; opening it is recorded in the audit log.</p>
  ${queueTable('To pack', queue.paid, (r) => r.paidAt, 'Paid', 'Nothing to pack.')}
  ${queueTable('To ship', queue.packed, (r) => r.packedAt, 'Packed', 'Nothing packed waiting for the carrier.')}
  ${queueTable('On the way', queue.shipped, (r) => r.shippedAt, 'Shipped', 'No parcel on the way.')}
</section>`;
}

export type FulfilmentPage = {
  order: { number: string; status: OrderStatus; placedAt: Date; paidAt: Date | null; packedAt: Date | null; shippedAt: Date | null; deliveredAt: Date | null; cancelledAt: Date | null; shippingOptionName: string; shippingCountry: string; carrier: string | null; trackingNumber: string | null; totalCents: number };
  lines: readonly OrderLine[];
  contact: Partial<OrderContact>;
  refund: { amountCents: number; refundedCents: number } | undefined;
};

function deliveryDetails(contact: Partial<OrderContact>): Html {
  const { recipientName, address, phone } = contact;
  if (recipientName === undefined || address === undefined) return html`<p class="note">Delivery details are shown only while the order is to be packed or shipped.</p>`;
  if (isErased(recipientName) || isErased(address)) return html`<p class="note">The delivery details of this order were erased.</p>`;
  return html`<p class="note">This view is recorded: who opened which details of this order, and why (delivery).</p>
  <address>${addressLines({ ...address, recipientName }).map((l) => html`${l}<br>`)}${phone && !isErased(phone) ? html`Phone: ${phone}` : 'No phone number given.'}</address>`;
}

function actions(csrf: Html, page: FulfilmentPage, carrierName: string): Html {
  const { order, refund } = page;
  const button = (action: string, label: string, secondary = false) =>
    html`<form method="post" action="/admin/fulfilment/${order.number}/${action}">${csrf}<button type="submit"${secondary ? html` class="secondary"` : ''}>${label}</button></form>`;
  const cancel = button('cancel', 'Cancel the order and refund it in full', true);
  switch (order.status) {
    case 'paid':
      return html`${button('pack', 'Mark packed')}${cancel}`;
    case 'packed':
      return html`${button('ship', `Ship with ${carrierName}`)}${cancel}`;
    case 'shipped':
      return button('deliver', 'Mark delivered');
    case 'cancelled':
      return refund && refund.refundedCents < refund.amountCents
        ? html`<p class="form-error">Refund outstanding: ${formatPrice(refund.amountCents - refund.refundedCents)}.</p>${button('refund', 'Ask for the refund again')}`
        : html`<p>${refund ? `Refunded ${formatPrice(refund.refundedCents)}.` : 'Nothing was paid.'}</p>`;
    default:
      return html``;
  }
}

export function fulfilmentOrderPage(csrf: Html, page: FulfilmentPage, carrierName: string, message?: string): Html {
  const { order, lines } = page;
  const weight = lines.reduce((sum, l) => sum + l.weightGrams * l.quantity, 0);
  return html`<section class="admin">
  <p><a href="/admin/fulfilment">Orders to ship</a></p>
  <h1>Order ${order.number}</h1>
  ${formError(message)}
  <dl>
    <dt>Status</dt><dd>${STATUS_LABELS[order.status]}</dd>
    <dt>Paid</dt><dd>${when(order.paidAt)}</dd>
    ${order.packedAt ? html`<dt>Packed</dt><dd>${when(order.packedAt)}</dd>` : ''}
    ${order.shippedAt ? html`<dt>Shipped</dt><dd>${when(order.shippedAt)}</dd><dt>Carrier</dt><dd>${order.carrier} ${order.trackingNumber}</dd>` : ''}
    ${order.deliveredAt ? html`<dt>Delivered</dt><dd>${when(order.deliveredAt)}</dd>` : ''}
    ${order.cancelledAt ? html`<dt>Cancelled</dt><dd>${when(order.cancelledAt)}</dd>` : ''}
    <dt>Delivery</dt><dd>${order.shippingOptionName} to ${countryName(order.shippingCountry)}</dd>
  </dl>
  <h2>Items</h2>
  <table>
    <thead><tr><th scope="col">Product</th><th scope="col">Quantity</th><th scope="col">Weight</th></tr></thead>
    <tbody>${lines.map((l) => html`<tr><td>${l.name}${l.variant ? html` <span class="variant">${l.variant}</span>` : ''}</td><td>${l.quantity}</td><td>${l.weightGrams * l.quantity} g</td></tr>`)}</tbody>
    <tfoot><tr><th scope="row" colspan="2">Parcel</th><td>${weight} g</td></tr></tfoot>
  </table>
  <h2>Deliver to</h2>
  ${deliveryDetails(page.contact)}
  <h2>Next step</h2>
  ${actions(csrf, page, carrierName)}
</section>`;
}

/** The answer to a move the order can no longer make (it moved meanwhile, or never could). */
export function movedPage(number: string, message: string): Html {
  return html`<section class="admin">
  <h1>Order ${number} was not changed</h1>
  <p>${message}</p>
  <p><a href="/admin/fulfilment/${number}">See the order as it is now</a> · <a href="/admin/fulfilment">Orders to ship</a></p>
</section>`;
}
