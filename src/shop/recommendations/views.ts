import { html, trusted, type Html } from '../../platform/http/html.ts';
import type { Personal, Suggestion } from './service.ts';

/** Where a product page shows the visitor's own suggestions; cached pages keep the placeholder. */
export const PERSONAL_SLOT = '<!--personal-suggestions-->';

function suggestionList(id: string, heading: string, items: Suggestion[], note?: Html): Html {
  if (items.length === 0) return html``;
  return html`<section class="suggestions" aria-labelledby="${id}">
  <h2 id="${id}">${heading}</h2>
  ${note ?? ''}<ul>${items.map((s) => html`<li><a href="/products/${s.slug}">${s.name}</a></li>`)}</ul>
</section>`;
}

/** "Customers also viewed" and the slot for the visitor's own suggestions, under a product. */
export function suggestionsView(alsoViewed: Suggestion[]): Html {
  return html`${suggestionList('also-viewed', 'Customers also viewed', alsoViewed)}${trusted(PERSONAL_SLOT)}`;
}

/** "Recently viewed" and "Picked for you", with where the picks come from and how to turn them off. */
function personalView({ recent, picks }: Personal): Html {
  const note = html`<p class="suggestions-note">From the categories and brands of the products you viewed, as your browser’s
  <code>pledge_recent</code> cookie lists them; the shop keeps no record of this list. <a href="/privacy/cookies">Cookie settings</a></p>`;
  return html`${suggestionList('recently-viewed', 'Recently viewed', recent)}${suggestionList('picked-for-you', 'Picked for you', picks, note)}`;
}

// Where each cached page's slot is, found once per page.
const slots = new WeakMap<Buffer, number>();

/** A cached product page with the visitor's suggestions in its slot, joined as bytes: the page is not decoded again. */
export function withPersonalSuggestions(page: Buffer, personal: Personal): Buffer {
  let at = slots.get(page);
  if (at === undefined) slots.set(page, (at = page.indexOf(PERSONAL_SLOT)));
  if (at < 0) return page;
  return Buffer.concat([page.subarray(0, at), Buffer.from(personalView(personal).value), page.subarray(at + PERSONAL_SLOT.length)]);
}
