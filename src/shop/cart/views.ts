import { formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { pictureUrl } from '../catalog/images.ts';
import { formatPrice } from '../catalog/service.ts';
import { MAX_LINE_QUANTITY, type CartLine, type CartView } from './service.ts';

/** A refused change to one line, shown beside that line's quantity with what was typed. */
export type LineProblem = { slug: string; message: string; value: string };

function quantityForm(csrf: Html, line: CartLine, problem: LineProblem | undefined): Html {
  const id = `quantity-${line.slug}`;
  return html`<form class="inline" method="post" action="/cart/items/${line.slug}">
    ${csrf}
    <label for="${id}">Quantity<span class="visually-hidden"> of ${line.name}</span></label>
    <input id="${id}" name="quantity" type="number" inputmode="numeric" min="0" max="${MAX_LINE_QUANTITY}" required value="${problem ? problem.value : line.quantity}"${problem ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>
    <button type="submit">Update</button>
    ${problem ? html`<span class="error" id="${id}-error" role="alert">${problem.message}</span>` : ''}
  </form>`;
}

function lineRow(csrf: Html, line: CartLine, problem: LineProblem | undefined): Html {
  return html`<tr>
  <td class="cart-product">
    <img src="${pictureUrl(line)}" alt="" width="64" height="64">
    <span><span class="brand">${line.brand}</span> <a href="/products/${line.slug}">${line.name}</a>
    ${line.variant ? html`<span class="variant">${line.variant}</span>` : ''}
    ${line.stockWarning ? html`<span class="stock low">${line.stockWarning}</span>` : ''}</span>
  </td>
  <td>${formatPrice(line.unitPriceCents)}</td>
  <td>${quantityForm(csrf, line, problem?.slug === line.slug ? problem : undefined)}</td>
  <td>${formatPrice(line.lineTotalCents)}</td>
  <td><form method="post" action="/cart/items/${line.slug}/remove">${csrf}<button type="submit" class="secondary">Remove<span class="visually-hidden"> ${line.name}</span></button></form></td>
</tr>`;
}

/** The cart page. `csrf` is only asked for when there is a form to put it in, so an empty cart sets no cookie. */
export function cartView(cart: CartView, csrf: () => Html, problem?: LineProblem): Html {
  // A problem with a line that is not (or no longer) in the cart has no field to stand beside.
  const unplaced = problem && !cart.lines.some((l) => l.slug === problem.slug) ? formError(problem.message) : '';
  if (cart.lines.length === 0) {
    return html`<section class="cart">
  <h1>Your cart</h1>
  ${unplaced}
  <p>Your cart is empty.</p>
  <p><a class="button" href="/">Browse the shop</a></p>
</section>`;
  }
  const token = csrf();
  return html`<section class="cart">
  <h1>Your cart</h1>
  ${unplaced}
  <table>
    <caption>${cart.itemCount} ${cart.itemCount === 1 ? 'item' : 'items'}</caption>
    <thead><tr><th scope="col">Product</th><th scope="col">Price</th><th scope="col">Quantity</th><th scope="col">Total</th><th scope="col"><span class="visually-hidden">Remove</span></th></tr></thead>
    <tbody>${cart.lines.map((line) => lineRow(token, line, problem))}</tbody>
    <tfoot><tr><th scope="row" colspan="3">Subtotal</th><td class="subtotal">${formatPrice(cart.subtotalCents)}</td><td></td></tr></tfoot>
  </table>
  <p><a class="button" href="/checkout">Check out</a> <a href="/">Continue shopping</a></p>
</section>`;
}
