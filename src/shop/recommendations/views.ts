import { html, trusted, type Html } from '../../platform/http/html.ts';
import type { Suggestion } from './service.ts';

/** Where a product page shows the visitor's own recently viewed products; cached pages keep the placeholder. */
export const RECENTLY_VIEWED_SLOT = '<!--recently-viewed-->';

function suggestionList(id: string, heading: string, items: Suggestion[]): Html {
  if (items.length === 0) return html``;
  return html`<section class="suggestions" aria-labelledby="${id}">
  <h2 id="${id}">${heading}</h2>
  <ul>${items.map((s) => html`<li><a href="/products/${s.slug}">${s.name}</a></li>`)}</ul>
</section>`;
}

/** "Customers also viewed" and the slot for "Recently viewed", under a product. */
export function suggestionsView(alsoViewed: Suggestion[]): Html {
  return html`${suggestionList('also-viewed', 'Customers also viewed', alsoViewed)}${trusted(RECENTLY_VIEWED_SLOT)}`;
}

export function recentlyViewedView(recent: Suggestion[]): Html {
  return suggestionList('recently-viewed', 'Recently viewed', recent);
}
