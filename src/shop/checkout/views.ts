import type { FieldErrors } from '../../platform/http/errors.ts';
import { field, formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { isErased } from '../../privacy/vault/service.ts';
import type { CartView } from '../cart/service.ts';
import { formatPrice } from '../catalog/service.ts';
import { addressLines, countryName } from '../orders/address.ts';
import type { OrderDetail } from '../orders/service.ts';
import type { CardSummary } from '../payments/provider.ts';
import type { ShippingChoice } from './service.ts';

// The checkout pages: the details form, the pay page with the provider's card form, and the review before paying.

const priceOrFree = (cents: number) => (cents === 0 ? 'Free' : formatPrice(cents));

const errorId = (name: string) => `f-${name}-error`;

function errorText(name: string, error: string | undefined): Html {
  return error ? html`<span class="error" id="${errorId(name)}">${error}</span>` : html``;
}

function cartSummary(cart: CartView): Html {
  return html`<table>
  <caption>${cart.itemCount} ${cart.itemCount === 1 ? 'item' : 'items'} in your cart</caption>
  <thead><tr><th scope="col">Product</th><th scope="col">Quantity</th><th scope="col">Total</th></tr></thead>
  <tbody>${cart.lines.map(
    (line) => html`<tr>
    <td>${line.name}${line.variant ? html` <span class="variant">${line.variant}</span>` : ''}
    ${line.stockWarning ? html`<span class="stock low">${line.stockWarning}</span>` : ''}</td>
    <td>${line.quantity}</td>
    <td>${formatPrice(line.lineTotalCents)}</td>
  </tr>`,
  )}</tbody>
  <tfoot><tr><th scope="row" colspan="2">Subtotal</th><td class="subtotal">${formatPrice(cart.subtotalCents)}</td></tr></tfoot>
</table>`;
}

export function emptyCheckoutPage(message?: string): Html {
  return html`<section class="checkout">
  <h1>Checkout</h1>
  ${formError(message)}
  <p>Your cart is empty, so there is nothing to check out yet.</p>
  <p><a class="button" href="/">Browse the shop</a></p>
</section>`;
}

export type CheckoutFormState = {
  cart: CartView;
  choices: ShippingChoice[];
  countries: { country: string }[];
  checkoutKey: string;
  values: Record<string, string | undefined>;
  errors: FieldErrors;
  /** Problems with the whole order rather than one field: changed prices, stock. */
  messages: string[];
};

function countrySelect(countries: { country: string }[], value: string | undefined, error: string | undefined): Html {
  return html`<div class="field${error ? ' has-error' : ''}">
  <label for="f-country">Country</label>
  <select id="f-country" name="country" autocomplete="shipping country"${error ? html` aria-invalid="true" aria-describedby="${errorId('country')}"` : ''}>
    <option value=""${value ? '' : html` selected`}>Choose a country</option>
    ${countries.map((c) => html`<option value="${c.country}"${c.country === value ? html` selected` : ''}>${countryName(c.country)}</option>`)}
  </select>
  ${errorText('country', error)}
</div>`;
}

function deliveryChoices(choices: ShippingChoice[], value: string | undefined, error: string | undefined): Html {
  return html`<fieldset class="field${error ? ' has-error' : ''}"${error ? html` aria-describedby="${errorId('shippingOption')}"` : ''}>
  <legend>Delivery</legend>
  ${errorText('shippingOption', error)}
  ${choices.map(
    (o) => html`<label><input type="radio" name="shippingOption" value="${o.code}"${o.code === value ? html` checked` : ''}>
    ${o.name}, ${priceOrFree(o.costCents)} <span class="hint">${o.description}</span></label>`,
  )}
</fieldset>`;
}

/** The details form; a cart with a line that cannot be bought as it is gets its warnings and a way back instead. */
export function checkoutPage(csrf: () => Html, s: CheckoutFormState): Html {
  const blocked = s.cart.lines.some((l) => l.stockWarning);
  const v = s.values;
  const e = s.errors;
  const text = (name: string, label: string, autocomplete: string, extra: { type?: 'email' | 'tel'; hint?: string } = {}) =>
    field({ name, label, value: v[name], error: e[name], autocomplete, ...extra });
  return html`<section class="checkout">
  <h1>Checkout</h1>
  ${s.messages.map((m) => formError(m))}
  ${cartSummary(s.cart)}
  ${blocked
    ? html`<p class="form-error" role="alert">Some items in your cart cannot be bought as they are.</p>
  <p><a class="button" href="/cart">Change your cart</a></p>`
    : html`<p class="note">Delivery and tax depend on the address; you will see the total before you pay.</p>
  <form class="stacked" method="post" action="/checkout" novalidate>
    ${csrf()}
    <input type="hidden" name="checkoutKey" value="${s.checkoutKey}">
    <input type="hidden" name="expectedSubtotalCents" value="${s.cart.subtotalCents}">
    ${text('email', 'E-mail', 'email', { type: 'email', hint: 'For the order confirmation and delivery updates.' })}
    <fieldset>
      <legend>Delivery address</legend>
      ${text('recipientName', 'Name of the recipient', 'shipping name')}
      ${text('line1', 'Street and number', 'shipping address-line1')}
      ${text('line2', 'Address line 2 (optional)', 'shipping address-line2')}
      ${text('city', 'Town or city', 'shipping address-level2')}
      ${text('region', 'Region or state (optional)', 'shipping address-level1')}
      ${text('postcode', 'Postcode', 'shipping postal-code')}
      ${countrySelect(s.countries, v.country, e.country)}
      ${text('phone', 'Phone (optional)', 'shipping tel', { type: 'tel', hint: 'Only for the carrier, should they need to reach the recipient.' })}
    </fieldset>
    ${deliveryChoices(s.choices, v.shippingOption, e.shippingOption)}
    <button type="submit">Continue to payment</button>
  </form>`}
  <p><a href="/cart">Back to your cart</a></p>
</section>`;
}

function orderSummary(detail: OrderDetail): Html {
  const { order, lines, contact } = detail;
  const address =
    isErased(contact.address) || isErased(contact.recipientName) ? [] : addressLines({ ...contact.address, recipientName: contact.recipientName });
  return html`<table>
  <caption>Order ${order.number}</caption>
  <thead><tr><th scope="col">Product</th><th scope="col">Quantity</th><th scope="col">Total</th></tr></thead>
  <tbody>${lines.map(
    (l) => html`<tr><td>${l.name}${l.variant ? html` <span class="variant">${l.variant}</span>` : ''}</td><td>${l.quantity}</td><td>${formatPrice(l.lineTotalCents)}</td></tr>`,
  )}</tbody>
  <tfoot>
    <tr><th scope="row" colspan="2">Subtotal</th><td>${formatPrice(order.subtotalCents)}</td></tr>
    <tr><th scope="row" colspan="2">${order.shippingOptionName}</th><td>${priceOrFree(order.shippingCents)}</td></tr>
    <tr><th scope="row" colspan="2">Tax (${(order.taxRateBasisPoints / 100).toFixed(2)} %)</th><td>${formatPrice(order.taxCents)}</td></tr>
    <tr><th scope="row" colspan="2">Total</th><td class="total">${formatPrice(order.totalCents)}</td></tr>
  </tfoot>
</table>
<h2>Delivering to</h2>
<p>${address.map((l, i) => html`${i > 0 ? html`<br>` : ''}${l}`)}</p>`;
}

/** Messages for the `?error=` field names TestPay sends back: fixed texts, so a link cannot put words in the page. */
export const CARD_ERRORS: Record<string, string> = {
  number: 'The card number was not accepted. Check it and enter it again.',
  expMonth: 'Check the expiry date: the card may have expired.',
  expYear: 'Check the expiry year.',
  cvc: 'Check the security code on the back of the card.',
  token: 'The card details could not be used. Enter the card again.',
};

export type PayPageState = { returnTo: string; cardError?: string | undefined; message?: string | undefined };

/** The pay page: the order, and the card form, which posts to the payment provider and never to the shop. */
export function payPage(detail: OrderDetail, s: PayPageState): Html {
  const errors: FieldErrors = s.cardError && s.cardError !== 'token' ? { [s.cardError]: CARD_ERRORS[s.cardError]! } : {};
  const topMessage = s.message ?? (s.cardError === 'token' || (s.cardError && !CARD_ERRORS[s.cardError]) ? CARD_ERRORS.token : undefined);
  return html`<section class="checkout">
  <h1>Pay for order ${detail.order.number}</h1>
  ${formError(topMessage)}
  ${orderSummary(detail)}
  <h2>Card</h2>
  <form class="stacked" method="post" action="/testpay/tokens" novalidate>
    <input type="hidden" name="returnTo" value="${s.returnTo}">
    ${field({ name: 'number', label: 'Card number', autocomplete: 'cc-number', inputmode: 'numeric', error: errors.number })}
    ${field({ name: 'expMonth', label: 'Expiry month (MM)', autocomplete: 'cc-exp-month', inputmode: 'numeric', error: errors.expMonth })}
    ${field({ name: 'expYear', label: 'Expiry year (YYYY)', autocomplete: 'cc-exp-year', inputmode: 'numeric', error: errors.expYear })}
    ${field({ name: 'cvc', label: 'Security code', autocomplete: 'cc-csc', inputmode: 'numeric', error: errors.cvc, hint: '3 digits on the back; 4 on the front of an American Express card.' })}
    <button type="submit">Continue</button>
  </form>
  <p class="note"><small>The card details go straight to our payment provider, TestPay, and never to us: we receive only
  a token, the card's brand and its last four digits. You confirm the payment on the next page.</small></p>
  <p class="note">An order not paid within an hour is cancelled and its items go back on sale.</p>
</section>`;
}

/** The last step: the amount and card, and one button that pays. */
export function reviewPage(csrf: Html, detail: OrderDetail, card: CardSummary, token: string): Html {
  const amount = formatPrice(detail.order.totalCents);
  return html`<section class="checkout">
  <h1>Pay ${amount} with ${card.brand} •••• ${card.last4}</h1>
  ${orderSummary(detail)}
  <form method="post" action="/checkout/pay/${detail.order.number}">
    ${csrf}
    <input type="hidden" name="token" value="${token}">
    <button type="submit">Pay ${amount}</button>
  </form>
  <p><a href="/checkout/pay/${detail.order.number}">Use another card</a></p>
</section>`;
}

export function notPayablePage(number: string, message: string): Html {
  return html`<section class="checkout">
  <h1>Order ${number} cannot be paid</h1>
  <p>${message}</p>
  <p><a class="button" href="/">Back to the shop</a></p>
</section>`;
}
