import type { FieldErrors } from '../../platform/http/errors.ts';
import { field, formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { isErased } from '../../privacy/vault/service.ts';
import { formatPrice } from '../catalog/service.ts';
import type { ReturnSummary } from '../returns/service.ts';
import { returnsSection } from '../returns/views.ts';
import { addressLines, countryName } from './address.ts';
import type { Order, OrderEventKind, OrderStatus } from './schema.ts';
import type { OrderDetail, OrderSummary } from './service.ts';

// The customer's side of an order: one detail page for account holders and for guests holding a pass, the order
// history, the guest look-up form, and the address fields checkout and the address book share.

type FormState = { values?: Record<string, string>; errors?: FieldErrors; message?: string };

const dateTime = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const dateOnly = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' });

const when = (at: Date) => html`<time datetime="${at.toISOString()}">${dateTime.format(at)} UTC</time>`;
const day = (at: Date) => html`<time datetime="${at.toISOString()}">${dateOnly.format(at)}</time>`;

export const STATUS_WORDS: Record<OrderStatus, string> = {
  placed: 'Awaiting payment',
  paid: 'Paid',
  packed: 'Packed',
  shipped: 'Shipped',
  delivered: 'Delivered',
  cancelled: 'Cancelled',
  returned: 'Returned',
};

const EVENT_WORDS: Record<OrderEventKind, string> = {
  placed: 'Order placed',
  payment_declined: 'A payment was declined',
  paid: 'Payment received',
  packed: 'Packed',
  shipped: 'Handed to the carrier',
  delivered: 'Delivered',
  cancelled: 'Cancelled',
  return_requested: 'Return requested',
  return_approved: 'Return approved',
  return_rejected: 'Return declined',
  return_received: 'Returned parcel received',
  refunded: 'Refunded',
};

/** The steps of an order that goes to plan, with the time each was reached. */
const STEPS = [
  { status: 'placed', label: 'Placed', at: (o: Order) => o.placedAt },
  { status: 'paid', label: 'Paid', at: (o: Order) => o.paidAt },
  { status: 'packed', label: 'Packed', at: (o: Order) => o.packedAt },
  { status: 'shipped', label: 'Shipped', at: (o: Order) => o.shippedAt },
  { status: 'delivered', label: 'Delivered', at: (o: Order) => o.deliveredAt },
] as const;

/**
 * Placed → paid → packed → shipped → delivered, the current step marked. A cancelled or returned order shows the
 * steps it reached, then how it ended.
 */
function progress(order: Order): Html {
  const ended = order.status === 'cancelled' ? order.cancelledAt : order.status === 'returned' ? order.returnedAt : undefined;
  const steps: { label: string; at: Date | null; current: boolean }[] = ended === undefined
    ? STEPS.map((s) => ({ label: s.label, at: s.at(order), current: s.status === order.status }))
    : [...STEPS.filter((s) => s.at(order)).map((s) => ({ label: s.label, at: s.at(order), current: false })), { label: STATUS_WORDS[order.status], at: ended, current: true }];
  return html`<ol class="progress">${steps.map(
    (s) => html`<li class="${s.at ? 'done' : 'todo'}"${s.current ? html` aria-current="step"` : ''}>${s.label}${s.at ? html` <span class="note">${day(s.at)}</span>` : html`<span class="visually-hidden"> (not yet)</span>`}</li>`,
  )}</ol>`;
}

/** What the customer can do next, if anything. */
function nextStep(order: Order, returnHref: string): Html {
  if (order.status === 'placed') {
    return html`<p class="next-step">This order is waiting for payment. Pay by ${when(order.payBy)}, or it is cancelled and its items go back on sale.</p>
  <p><a class="button" href="/checkout/pay/${order.number}">Pay now</a></p>`;
  }
  if (order.status === 'delivered') return html`<p><a class="button" href="${returnHref}">Request a return</a></p>`;
  return html``;
}

function deliveryAddress(contact: OrderDetail['contact']): Html {
  if (isErased(contact.address) || isErased(contact.recipientName)) return html`<p>This address has been erased.</p>`;
  const phone = contact.phone && !isErased(contact.phone) ? contact.phone : undefined;
  return html`<address>${addressLines({ ...contact.address, recipientName: contact.recipientName }).map((line, i) => html`${i > 0 ? html`<br>` : ''}${line}`)}${phone ? html`<br>Phone: ${phone}` : ''}</address>`;
}

/** An order paid this recently was paid by the person now looking at it, who gets the thank-you. */
export const THANK_YOU_WITHIN_MS = 30 * 60 * 1000;

export type OrderPageOptions = { now: Date; returnHref: string; returns: readonly ReturnSummary[] };

export function orderPage(detail: OrderDetail, { now, returnHref, returns }: OrderPageOptions): Html {
  const { order, lines, events, contact, card } = detail;
  const justPaid = order.paidAt !== null && order.status !== 'cancelled' && now.getTime() - order.paidAt.getTime() < THANK_YOU_WITHIN_MS;
  const email = isErased(contact.email) ? undefined : contact.email;
  return html`<section class="order">
  <h1>Order ${order.number}</h1>
  ${justPaid ? html`<p class="notice" role="status">Thank you — we have your payment.${email ? html` A confirmation is on its way to ${email}.` : ''}</p>` : ''}
  <p>Placed ${when(order.placedAt)}. Status: <strong>${STATUS_WORDS[order.status]}</strong></p>
  ${progress(order)}
  ${nextStep(order, returnHref)}
  ${order.trackingNumber ? html`<p>Tracking number: <strong>${order.trackingNumber}</strong>${order.carrier ? html` (${order.carrier})` : ''}</p>` : ''}
  ${returnsSection(returns)}
  <table>
    <caption>What you ordered</caption>
    <thead><tr><th scope="col">Product</th><th scope="col">Price</th><th scope="col">Quantity</th><th scope="col">Total</th></tr></thead>
    <tbody>${lines.map(
      (l) => html`<tr><td>${l.name}${l.variant ? html` <span class="variant">${l.variant}</span>` : ''}</td><td>${formatPrice(l.unitPriceCents)}</td><td>${l.quantity}</td><td>${formatPrice(l.lineTotalCents)}</td></tr>`,
    )}</tbody>
    <tfoot>
      <tr><th scope="row" colspan="3">Subtotal</th><td>${formatPrice(order.subtotalCents)}</td></tr>
      <tr><th scope="row" colspan="3">${order.shippingOptionName}</th><td>${order.shippingCents === 0 ? 'Free' : formatPrice(order.shippingCents)}</td></tr>
      <tr><th scope="row" colspan="3">Tax (${(order.taxRateBasisPoints / 100).toFixed(2)} %)</th><td>${formatPrice(order.taxCents)}</td></tr>
      <tr><th scope="row" colspan="3">Total</th><td><strong>${formatPrice(order.totalCents)}</strong></td></tr>
    </tfoot>
  </table>
  <h2>Delivery address</h2>
  ${deliveryAddress(contact)}
  ${email ? html`<p>Messages about this order go to ${email}.</p>` : ''}
  <h2>Payment</h2>
  <p>${card ? `${card.brand} ending in ${card.last4}` : 'Not paid yet.'}</p>
  <h2>History</h2>
  <ol class="history">${events.map((e) => html`<li>${when(e.at)}: ${EVENT_WORDS[e.kind]}</li>`)}</ol>
</section>`;
}

export function orderHistoryPage(summaries: readonly OrderSummary[]): Html {
  if (summaries.length === 0) {
    return html`<section class="orders">
  <h1>Your orders</h1>
  <p>You have not ordered anything yet.</p>
  <p><a class="button" href="/">Browse the shop</a></p>
</section>`;
  }
  return html`<section class="orders">
  <h1>Your orders</h1>
  <table>
    <thead><tr><th scope="col">Order</th><th scope="col">Placed</th><th scope="col">Status</th><th scope="col">Items</th><th scope="col">Total</th></tr></thead>
    <tbody>${summaries.map(
      (o) => html`<tr><td><a href="/account/orders/${o.number}">${o.number}</a></td><td>${day(o.placedAt)}</td><td>${STATUS_WORDS[o.status]}</td><td>${o.itemCount}</td><td>${formatPrice(o.totalCents)}</td></tr>`,
    )}</tbody>
  </table>
  <p><a href="/account">Back to your account</a></p>
</section>`;
}

export function lookupPage(csrf: Html, s: FormState = {}): Html {
  const v = s.values ?? {};
  const e = s.errors ?? {};
  return html`<section class="auth">
  <h1>Find an order</h1>
  <p>Bought without an account? Enter the order number from your confirmation e-mail and the address you used, and we
  will e-mail you a link that opens the order.</p>
  ${formError(s.message)}
  <form class="stacked" method="post" action="/orders/lookup" novalidate>
    ${csrf}
    ${field({ name: 'number', label: 'Order number', value: v.number, error: e.number, hint: 'Like P100001.' })}
    ${field({ name: 'email', label: 'E-mail', type: 'email', value: v.email, error: e.email, autocomplete: 'email' })}
    <button type="submit">Send me the link</button>
  </form>
  <p>Have an account? <a href="/account/login">Sign in</a> to see all your orders.</p>
</section>`;
}

export function lookupSentPage(): Html {
  return html`<section class="auth">
  <h1>Check your inbox</h1>
  <p>If the number and address match an order, we have sent a link to that address. It opens the order once, within 7 days.</p>
  <p><a href="/orders/lookup">Look up another order</a></p>
</section>`;
}

export function orderLinkInvalidPage(): Html {
  return html`<section class="auth">
  <h1>This link is not valid</h1>
  <p>Order links work once, for 7 days. This one has been used already, has expired, or was mistyped.</p>
  <p><a href="/orders/lookup">Ask for a new link</a></p>
</section>`;
}

/** The fields of a delivery address (the ShippingAddress schema), with the countries the shop delivers to. */
export function addressFields(countries: readonly string[], v: Record<string, string>, e: FieldErrors): Html {
  const country = v.country ?? '';
  return html`${field({ name: 'recipientName', label: 'Name of the recipient', value: v.recipientName, error: e.recipientName, autocomplete: 'shipping name' })}
    ${field({ name: 'line1', label: 'Street address', value: v.line1, error: e.line1, autocomplete: 'shipping address-line1' })}
    ${field({ name: 'line2', label: 'Apartment, suite, floor (optional)', value: v.line2, error: e.line2, autocomplete: 'shipping address-line2' })}
    ${field({ name: 'city', label: 'Town or city', value: v.city, error: e.city, autocomplete: 'shipping address-level2' })}
    ${field({ name: 'region', label: 'State, province or county (optional)', value: v.region, error: e.region, autocomplete: 'shipping address-level1' })}
    ${field({ name: 'postcode', label: 'Postcode or ZIP code', value: v.postcode, error: e.postcode, autocomplete: 'shipping postal-code' })}
    <div class="field${e.country ? ' has-error' : ''}">
      <label for="f-country">Country</label>
      <select id="f-country" name="country" autocomplete="shipping country"${e.country ? html` aria-invalid="true" aria-describedby="f-country-error"` : ''}>
        <option value=""${country ? '' : html` selected`}>Choose a country</option>
        ${countries.map((code) => html`<option value="${code}"${code === country ? html` selected` : ''}>${countryName(code)}</option>`)}
      </select>
      ${e.country ? html`<span class="error" id="f-country-error">${e.country}</span>` : ''}
    </div>
    ${field({ name: 'phone', label: 'Phone (optional)', type: 'tel', value: v.phone, error: e.phone, autocomplete: 'shipping tel', hint: 'Only for the carrier, should they need to reach the recipient.' })}`;
}
