import { html, type Html } from '../../platform/http/html.ts';
import { pictureUrl } from './images.ts';
import type { Category, Product } from './schema.ts';
import { MAX_LINE_QUANTITY } from '../cart/service.ts';
import { formatPrice, SEARCH_MAX_LENGTH, SEARCH_SORTS, variantLabel, type ProductCard, type ProductPage, type SearchSort, type Variant } from './service.ts';

/** The main navigation: every category, the cart and a search box. `current` is the category shown; `place` says which part of the shop the page belongs to. */
export function categoryNav(categories: Category[], current?: string, place: 'shop' | 'cart' | 'search' = 'shop'): Html {
  const here = (yes: boolean) => (yes ? html` aria-current="page"` : '');
  return html`<a href="/"${here(place === 'shop' && current === undefined)}>All</a>${categories.map(
    (c) => html`<a href="/categories/${c.slug}"${here(c.slug === current)}>${c.name}</a>`,
  )}<a href="/cart"${here(place === 'cart')}>Cart</a><a href="/account">Account</a>
<form class="site-search" role="search" method="get" action="/search">
  <label class="visually-hidden" for="site-search-q">Search products</label>
  <input id="site-search-q" type="search" name="q" maxlength="${SEARCH_MAX_LENGTH}" placeholder="Search products">
  <button type="submit">Search</button>
</form>`;
}

/** Below this the page says how many are left (and migration 0008's stock_shown must agree). */
export const LOW_STOCK = 10;

function stockNote(stock: number): Html {
  if (stock === 0) return html`<span class="stock out">Out of stock</span>`;
  if (stock < LOW_STOCK) return html`<span class="stock low">Only ${stock} left</span>`;
  return html`<span class="stock in">In stock</span>`;
}

function card(p: ProductCard): Html {
  return html`<li class="card">
  <a href="/products/${p.slug}">
    <img src="${pictureUrl(p)}" alt="" width="200" height="200" loading="lazy">
    <span class="brand">${p.brand}</span>
    <span class="name">${p.name}</span>
  </a>
  ${p.optionName ? html`<span class="variant">${variantLabel(p)}${p.variantCount > 1 ? ` · ${p.variantCount} ${p.optionName.toLowerCase()}s` : ''}</span>` : ''}
  <span class="summary">${p.summary}</span>
  <span class="price">${formatPrice(p.priceCents)}</span>
  ${stockNote(p.stock)}
</li>`;
}

function pagination(listing: ProductPage, basePath: string): Html {
  const pages = Math.max(1, Math.ceil(listing.total / listing.perPage));
  if (pages === 1) return html``;
  const link = (page: number) => (page === 1 ? basePath : `${basePath}${basePath.includes('?') ? '&' : '?'}page=${page}`);
  return html`<nav class="pagination" aria-label="Pages">
  ${listing.page > 1 ? html`<a rel="prev" href="${link(listing.page - 1)}">← Previous</a>` : ''}
  <span>Page ${listing.page} of ${pages}</span>
  ${listing.page < pages ? html`<a rel="next" href="${link(listing.page + 1)}">Next →</a>` : ''}
</nav>`;
}

/** A grid of product cards with pagination; `basePath` may carry a query string (search), kept on every page link. */
export function listingView(options: { heading: string; intro?: string; controls?: Html; empty?: string; listing: ProductPage; basePath: string }): Html {
  const { heading, intro, controls, empty = 'No products here yet.', listing, basePath } = options;
  return html`<section class="listing">
  <h1>${heading}</h1>
  ${intro ? html`<p class="intro">${intro}</p>` : ''}
  ${controls ?? ''}
  ${listing.products.length === 0
    ? html`<p>${empty}</p>`
    : html`<p class="count">${listing.total} ${listing.total === 1 ? 'product' : 'products'}</p>
  <ul class="grid">${listing.products.map(card)}</ul>`}
  ${pagination(listing, basePath)}
</section>`;
}

const SORT_LABELS: Record<SearchSort, string> = {
  relevance: 'Best match',
  'price-asc': 'Price, low to high',
  'price-desc': 'Price, high to low',
  name: 'Name, A to Z',
};

function searchForm(q: string, sort: SearchSort): Html {
  return html`<form class="search-form" method="get" action="/search">
    <label for="search-q">Search for</label>
    <input id="search-q" type="search" name="q" value="${q}" maxlength="${SEARCH_MAX_LENGTH}">
    <label for="search-sort">Sort by</label>
    <select id="search-sort" name="sort">${SEARCH_SORTS.map(
      (s) => html`<option value="${s}"${s === sort ? html` selected` : ''}>${SORT_LABELS[s]}</option>`,
    )}</select>
    <button type="submit">Search</button>
  </form>`;
}

/** The search page: a prompt for a term when there is none, otherwise the results as the listing shows products. */
export function searchView({ q, sort, listing }: { q: string; sort: SearchSort; listing?: ProductPage }): Html {
  if (!listing) {
    return html`<section class="listing">
  <h1>Search the shop</h1>
  <p class="intro">What are you looking for? Try a product, a brand or a kind of make-up, such as “concealer” or “Fieldhouse”.</p>
  ${searchForm(q, sort)}
</section>`;
  }
  const params = new URLSearchParams({ q });
  if (sort !== 'relevance') params.set('sort', sort);
  return listingView({
    heading: `Search results for “${q}”`,
    controls: searchForm(q, sort),
    empty: `Nothing matches “${q}”. Check the spelling, or try a shorter or broader term.`,
    listing,
    basePath: `/search?${params}`,
  });
}

// The product page is cached for every visitor, so this form carries no CSRF token: /cart/items checks the
// request's Origin instead.
// The cached page is only rebuilt when the stock note changes (see stock_shown in the migrations), so the form's
// limit follows the note: the exact stock while it is low, the line limit otherwise; the cart checks the real stock.
function addToCartForm(product: Pick<Product, 'slug' | 'stock'>): Html {
  const max = product.stock < LOW_STOCK ? product.stock : MAX_LINE_QUANTITY;
  return html`<form class="add-to-cart" method="post" action="/cart/items">
        <input type="hidden" name="slug" value="${product.slug}">
        <label for="add-quantity">Quantity</label>
        <input id="add-quantity" name="quantity" type="number" inputmode="numeric" min="1" max="${max}" value="1" required>
        <button type="submit">Add to cart</button>
      </form>`;
}

/** A product's name with its shade or size, when it has one: "Velvet Matte Lipstick, 02 Rose". */
export function productTitle(product: Pick<Product, 'name' | 'optionValue'>): string {
  return product.optionValue ? `${product.name}, ${product.optionValue}` : product.name;
}

// Links, not a form, so that every shade has its own page (and cached page) and the choice works without script.
// Each says its value, price and stock in words: the picture's colour is never the only sign.
function variantChoice(product: Pick<Product, 'slug' | 'optionName' | 'optionValue'>, variants: Variant[]): Html {
  return html`<div class="variants" role="group" aria-labelledby="variant-option">
        <p><span id="variant-option">${product.optionName}</span>: <strong>${product.optionValue}</strong></p>
        <ul>${variants.map(
          (v) => html`<li><a href="/products/${v.slug}"${v.slug === product.slug ? html` aria-current="page"` : ''}>
          <img src="${pictureUrl(v)}" alt="" width="48" height="48">
          <span class="value">${v.optionValue}</span>
          <span class="variant-price">${formatPrice(v.priceCents)}</span>
          ${stockNote(v.stock)}
        </a></li>`,
        )}</ul>
      </div>`;
}

/** A product's page; `variants` are the products of its variant group on sale, itself included (none without a group). */
export function productView(product: Product & { categorySlug: string; categoryName: string; picture: string | null }, variants: Variant[]): Html {
  return html`<article class="product">
  <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/">Shop</a> › <a href="/categories/${product.categorySlug}">${product.categoryName}</a></nav>
  <div class="product-body">
    <img src="${pictureUrl(product)}" alt="${productTitle(product)}" width="400" height="400">
    <div>
      <p class="brand">${product.brand}</p>
      <h1>${product.name}</h1>
      <p class="price">${formatPrice(product.priceCents)}</p>
      ${stockNote(product.stock)}
      ${variants.length > 0 ? variantChoice(product, variants) : ''}
      ${product.stock > 0 ? addToCartForm(product) : ''}
      <p class="summary">${product.summary}</p>
      <p>${product.description}</p>
    </div>
  </div>
</article>`;
}
