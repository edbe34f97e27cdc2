import type { FieldErrors } from '../../platform/http/errors.ts';
import { field, formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { pictureUrl } from '../catalog/images.ts';
import type { Category, Product } from '../catalog/schema.ts';
import { formatPrice, variantLabel } from '../catalog/service.ts';
import { countryName } from '../orders/address.ts';
import type { OrderStatus } from '../orders/schema.ts';
import { LOW_STOCK, regionName, type AdminProduct, type AdminProductRow, type ShippingOption, type StockFilter, type TaxRate } from './service.ts';

// The administrator's pages: the product list with its quick stock changes, the product form, delivery options and
// the tax table. Every form posts and comes back with a message beside each field and what was typed.

export type FormState = { values: Record<string, string>; errors: FieldErrors };
const EMPTY: FormState = { values: {}, errors: {} };

// ── controls the platform's `field` does not draw (it draws inputs) ─────────────────────────────────────────────

type Control = { name: string; label: string; error?: string | undefined; hint?: string | undefined };

function describedBy(o: Control): { id: string; attrs: Html; notes: { hint: Html; error: Html } } {
  const id = `f-${o.name}`;
  const described = [o.hint ? `${id}-hint` : '', o.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return {
    id,
    attrs: html`${described ? html` aria-describedby="${described}"` : ''}${o.error ? html` aria-invalid="true"` : ''}`,
    notes: {
      hint: o.hint ? html`<span class="hint" id="${id}-hint">${o.hint}</span>` : html``,
      error: o.error ? html`<span class="error" id="${id}-error">${o.error}</span>` : html``,
    },
  };
}

export function textArea(o: Control & { value: string | undefined }): Html {
  const { id, attrs, notes } = describedBy(o);
  return html`<div class="field${o.error ? ' has-error' : ''}">
  <label for="${id}">${o.label}</label>
  ${notes.hint}
  <textarea id="${id}" name="${o.name}" rows="5"${attrs}>${o.value ?? ''}</textarea>
  ${notes.error}
</div>`;
}

export function selectField(o: Control & { value: string | undefined; options: readonly { value: string; label: string }[]; placeholder?: string }): Html {
  const { id, attrs, notes } = describedBy(o);
  return html`<div class="field${o.error ? ' has-error' : ''}">
  <label for="${id}">${o.label}</label>
  ${notes.hint}
  <select id="${id}" name="${o.name}"${attrs}>
    ${o.placeholder ? html`<option value="">${o.placeholder}</option>` : ''}
    ${o.options.map((opt) => html`<option value="${opt.value}"${opt.value === o.value ? html` selected` : ''}>${opt.label}</option>`)}
  </select>
  ${notes.error}
</div>`;
}

export function checkboxField(o: Control & { checked: boolean }): Html {
  const { id, attrs, notes } = describedBy(o);
  return html`<div class="field checkbox${o.error ? ' has-error' : ''}">
  <label for="${id}"><input id="${id}" name="${o.name}" type="checkbox"${o.checked ? html` checked` : ''}${attrs}> ${o.label}</label>
  ${notes.hint}
  ${notes.error}
</div>`;
}

/** A required choice of one: radio buttons in a fieldset, none chosen until the user picks. */
export function radioGroup(o: Control & { value: string | undefined; options: readonly { value: string; label: string }[] }): Html {
  const { attrs, notes } = describedBy(o);
  return html`<fieldset class="field${o.error ? ' has-error' : ''}">
  <legend>${o.label}</legend>
  ${notes.hint}
  ${o.options.map((opt) => html`<label><input type="radio" name="${o.name}" value="${opt.value}"${opt.value === o.value ? html` checked` : ''}${attrs}> ${opt.label}</label>`)}
  ${notes.error}
</fieldset>`;
}

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
export const when = (at: Date | null) => (at ? html`<time datetime="${at.toISOString()}">${dateTime.format(at)} UTC</time>` : html`—`);

/** An order's status as staff read it. */
export const STATUS_LABELS: Record<OrderStatus, string> = {
  placed: 'Awaiting payment',
  paid: 'Paid, to pack',
  packed: 'Packed, to ship',
  shipped: 'Shipped',
  delivered: 'Delivered',
  cancelled: 'Cancelled',
  returned: 'Returned',
};

const cents = (value: number | null) => (value === null ? '' : (value / 100).toFixed(2));
const percentOf = (basisPoints: number) => (basisPoints / 100).toFixed(2);

// ── products ─────────────────────────────────────────────────────────────────────────────────────────────────────

export type ProductListQuery = { q: string; stock: StockFilter; page: number };
/** A refused stock change, shown beside that product's field with what was typed. */
export type StockProblem = { id: number; message: string; value: string };

const STOCK_FILTER_LABELS: Record<StockFilter, string> = { any: 'Any stock', low: `Low stock (under ${LOW_STOCK})`, out: 'Out of stock' };

export function productListHref(query: ProductListQuery, page = query.page): string {
  const params = new URLSearchParams();
  if (query.q) params.set('q', query.q);
  if (query.stock !== 'any') params.set('stock', query.stock);
  if (page > 1) params.set('page', String(page));
  const search = params.toString();
  return `/admin/products${search ? `?${search}` : ''}`;
}

function stockForm(csrf: Html, row: AdminProductRow, query: ProductListQuery, problem: StockProblem | undefined): Html {
  const id = `change-${row.id}`;
  return html`<form class="inline" method="post" action="/admin/products/${row.id}/stock">
    ${csrf}
    <input type="hidden" name="q" value="${query.q}"><input type="hidden" name="stock" value="${query.stock}"><input type="hidden" name="page" value="${query.page}">
    <label for="${id}">Add or remove<span class="visually-hidden"> stock of ${row.name}</span></label>
    <input id="${id}" name="change" inputmode="numeric" placeholder="+12 or -3" value="${problem?.value ?? ''}"${problem ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>
    <button type="submit" class="secondary">Adjust</button>
    ${problem ? html`<span class="error" id="${id}-error" role="alert">${problem.message}</span>` : ''}
  </form>`;
}

function stockNote(row: AdminProductRow): Html {
  if (row.stock === 0) return html`<span class="stock out">${row.stock}</span>`;
  return html`<span class="stock ${row.stock < LOW_STOCK ? 'low' : 'in'}">${row.stock}</span>`;
}

function archiveForm(csrf: Html, product: Pick<Product, 'id' | 'name' | 'archivedAt'>): Html {
  const action = product.archivedAt ? 'unarchive' : 'archive';
  return html`<form method="post" action="/admin/products/${product.id}/${action}">${csrf}<button type="submit" class="secondary">${product.archivedAt ? 'Put back on sale' : 'Archive'}<span class="visually-hidden"> ${product.name}</span></button></form>`;
}

export function productListPage(
  csrf: Html,
  list: { rows: AdminProductRow[]; total: number; perPage: number },
  query: ProductListQuery,
  problem?: StockProblem,
): Html {
  const pages = Math.max(1, Math.ceil(list.total / list.perPage));
  return html`<section class="admin">
  <h1>Products</h1>
  <p><a class="button" href="/admin/products/new">New product</a></p>
  <form class="search-form" method="get" action="/admin/products" role="search">
    <label for="q">Name or slug</label>
    <input id="q" name="q" type="search" value="${query.q}">
    <label for="stock">Stock</label>
    <select id="stock" name="stock">${(Object.keys(STOCK_FILTER_LABELS) as StockFilter[]).map((f) => html`<option value="${f}"${f === query.stock ? html` selected` : ''}>${STOCK_FILTER_LABELS[f]}</option>`)}</select>
    <button type="submit">Search</button>
  </form>
  ${list.rows.length === 0
    ? html`<p>No products match.</p>`
    : html`<table>
    <caption>${list.total} ${list.total === 1 ? 'product' : 'products'}${pages > 1 ? `, page ${query.page} of ${pages}` : ''}</caption>
    <thead><tr><th scope="col">Product</th><th scope="col">Category</th><th scope="col">Price</th><th scope="col">Stock</th><th scope="col">In listings</th><th scope="col"><span class="visually-hidden">Archive</span></th></tr></thead>
    <tbody>${list.rows.map(
      (row) => html`<tr>
      <td><span class="brand">${row.brand}</span> <a href="/admin/products/${row.id}">${row.name}</a>
        ${variantLabel(row) ? html`<span class="variant">${variantLabel(row)}</span>` : ''}
        ${row.archivedAt ? html`<strong>Archived</strong>` : ''}</td>
      <td>${row.categoryName}</td>
      <td>${formatPrice(row.priceCents)}</td>
      <td>${stockNote(row)} ${stockForm(csrf, row, query, problem?.id === row.id ? problem : undefined)}</td>
      <td>${row.archivedAt ? 'No (archived)' : row.listed ? 'Yes' : 'No'}</td>
      <td>${archiveForm(csrf, row)}</td>
    </tr>`,
    )}</tbody>
  </table>`}
  ${pages > 1
    ? html`<nav class="pagination" aria-label="Pages">
    ${query.page > 1 ? html`<a href="${productListHref(query, query.page - 1)}" rel="prev">Previous</a>` : ''}
    ${query.page < pages ? html`<a href="${productListHref(query, query.page + 1)}" rel="next">Next</a>` : ''}
  </nav>`
    : ''}
</section>`;
}

/** The form's values from a saved product, in the form's own spelling (dollars, not cents). */
export function productValues(p: Product): Record<string, string> {
  return {
    name: p.name,
    slug: p.slug,
    brand: p.brand,
    categoryId: String(p.categoryId),
    summary: p.summary,
    description: p.description,
    price: cents(p.priceCents),
    stock: String(p.stock),
    weightGrams: String(p.weightGrams),
    swatch: p.swatch,
    variantGroup: p.variantGroup ?? '',
    optionName: p.optionName ?? '',
    optionValue: p.optionValue ?? '',
    listed: p.listed ? 'on' : '',
  };
}

/** The new-product form (`product` undefined) or the edit form of `product`. */
/** The upload form, and the way back to the generated picture when one was uploaded; `problem` is a refused upload. */
function pictureForms(csrf: Html, product: AdminProduct, problem: string | undefined): Html {
  return html`<h2>Uploaded picture</h2>
  <form class="stacked" method="post" action="/admin/products/${product.id}/image" enctype="multipart/form-data">
    ${csrf}
    ${field({ name: 'picture', label: 'Picture file', type: 'file', error: problem, hint: 'A PNG, JPEG or WebP file of at most 2 MB, shown in place of the drawn picture.' })}
    <button type="submit">Upload picture</button>
  </form>
  ${product.picture
    ? html`<form method="post" action="/admin/products/${product.id}/image/remove">${csrf}<button type="submit" class="secondary">Remove the uploaded picture</button></form>`
    : ''}`;
}

export function productFormPage(
  csrf: Html,
  categories: readonly Category[],
  product: AdminProduct | undefined,
  state: FormState = EMPTY,
  pictureProblem?: string,
): Html {
  const v = state.values;
  const e = state.errors;
  const action = product ? `/admin/products/${product.id}` : '/admin/products';
  return html`<section class="admin">
  <p><a href="/admin/products">All products</a></p>
  <h1>${product ? `Edit ${product.name}` : 'New product'}</h1>
  ${product?.archivedAt ? html`<p class="note">This product is archived: it is not on sale and not in the storefront. Orders keep their own copy of it.</p>` : ''}
  ${formError(Object.keys(e).length > 0 ? 'Some fields need attention: see the messages below.' : undefined)}
  <form class="stacked wide" method="post" action="${action}" novalidate>
    ${csrf}
    <fieldset><legend>Product</legend>
    ${field({ name: 'name', label: 'Name', value: v.name, error: e.name })}
    ${field({ name: 'slug', label: 'Slug', value: v.slug, error: e.slug, hint: 'The product’s address: /products/slug. Lower-case letters, digits and hyphens.' })}
    ${field({ name: 'brand', label: 'Brand', value: v.brand, error: e.brand })}
    ${selectField({ name: 'categoryId', label: 'Category', value: v.categoryId, error: e.categoryId, placeholder: 'Choose a category', options: categories.map((c) => ({ value: String(c.id), label: c.name })) })}
    ${field({ name: 'summary', label: 'Summary', value: v.summary, error: e.summary, hint: 'One line, shown in listings.' })}
    ${textArea({ name: 'description', label: 'Description', value: v.description, error: e.description })}
    </fieldset>
    <fieldset><legend>Price and stock</legend>
    ${field({ name: 'price', label: 'Price (USD)', value: v.price, error: e.price, hint: 'In dollars and cents, like 12.50.' })}
    ${field({ name: 'stock', label: 'Stock', value: v.stock, error: e.stock, inputmode: 'numeric' })}
    ${field({ name: 'weightGrams', label: 'Weight of one unit (grams)', value: v.weightGrams, error: e.weightGrams, inputmode: 'numeric', hint: 'Packed weight, for the parcel.' })}
    </fieldset>
    <fieldset><legend>Picture</legend>
    ${product ? html`<img src="${pictureUrl(product)}" alt="The current picture of ${product.name}" width="120" height="120">` : ''}
    ${field({ name: 'swatch', label: 'Colour', value: v.swatch, error: e.swatch, hint: 'The product picture is drawn from this colour and the category’s package shape, like #d9a38b, unless a picture is uploaded below.' })}
    </fieldset>
    <fieldset><legend>Variant</legend>
    <p class="hint">For a product sold in several shades or sizes: each variant is a product of its own, with the same group and its own option value. Leave empty for a product without variants.</p>
    ${field({ name: 'variantGroup', label: 'Variant group', value: v.variantGroup, error: e.variantGroup, hint: 'Shared by the variants, usually the slug of the main one.' })}
    ${field({ name: 'optionName', label: 'Option name', value: v.optionName, error: e.optionName, hint: 'Like Shade or Size.' })}
    ${field({ name: 'optionValue', label: 'Option value', value: v.optionValue, error: e.optionValue, hint: 'Like 02 Rose or 50 ml.' })}
    </fieldset>
    ${checkboxField({ name: 'listed', label: 'Show in listings', checked: v.listed === 'on', error: e.listed, hint: 'A variant group shows in listings through one product: ticking this for one variant unticks it for the others. Archived products are never shown.' })}
    <button type="submit">${product ? 'Save changes' : 'Create product'}</button>
  </form>
  ${product
    ? html`<h2>On sale</h2>
  <p>${product.archivedAt ? 'Archived.' : html`On sale at <a href="/products/${product.slug}">/products/${product.slug}</a>.`}</p>
  ${archiveForm(csrf, product)}
  ${pictureForms(csrf, product, pictureProblem)}`
    : ''}
</section>`;
}

// ── delivery options ─────────────────────────────────────────────────────────────────────────────────────────────

const days = (o: ShippingOption) => (o.minDays === o.maxDays ? `${o.minDays}` : `${o.minDays}–${o.maxDays}`);

export function shippingListPage(options: readonly ShippingOption[]): Html {
  return html`<section class="admin">
  <h1>Shipping options</h1>
  <p class="note">What checkout offers. Orders already placed keep the option and price they were placed with.</p>
  <p><a class="button" href="/admin/shipping/new">Add a delivery option</a></p>
  <table>
    <thead><tr><th scope="col">Option</th><th scope="col">Price</th><th scope="col">Free from</th><th scope="col">Business days</th><th scope="col">Offered</th></tr></thead>
    <tbody>${options.map(
      (o) => html`<tr>
      <td><a href="/admin/shipping/${o.code}">${o.name}</a> <span class="variant">${o.code}</span></td>
      <td>${formatPrice(o.priceCents)}</td>
      <td>${o.freeFromCents === null ? 'Never' : formatPrice(o.freeFromCents)}</td>
      <td>${days(o)}</td>
      <td>${o.active ? 'Yes' : 'No'}</td>
    </tr>`,
    )}</tbody>
  </table>
</section>`;
}

export function shippingValues(o: ShippingOption): Record<string, string> {
  return {
    code: o.code,
    name: o.name,
    description: o.description,
    price: cents(o.priceCents),
    freeFrom: cents(o.freeFromCents),
    minDays: String(o.minDays),
    maxDays: String(o.maxDays),
    active: o.active ? 'on' : '',
  };
}

/** The form for a new option (`code` undefined) or for editing option `code`. */
export function shippingFormPage(csrf: Html, code: string | undefined, state: FormState = { values: { active: 'on' }, errors: {} }): Html {
  const v = state.values;
  const e = state.errors;
  return html`<section class="admin">
  <p><a href="/admin/shipping">All shipping options</a></p>
  <h1>${code ? `Edit ${v.name || code}` : 'New delivery option'}</h1>
  ${formError(Object.keys(e).length > 0 ? 'Some fields need attention: see the messages below.' : undefined)}
  <form class="stacked" method="post" action="${code ? `/admin/shipping/${code}` : '/admin/shipping'}" novalidate>
    ${csrf}
    ${code ? html`<p>Code: <strong>${code}</strong></p>` : field({ name: 'code', label: 'Code', value: v.code, error: e.code, hint: 'A short name for the shop’s records, like next-day. It cannot be changed later.' })}
    ${field({ name: 'name', label: 'Name customers see', value: v.name, error: e.name })}
    ${textArea({ name: 'description', label: 'Description', value: v.description, error: e.description })}
    ${field({ name: 'price', label: 'Price (USD)', value: v.price, error: e.price, hint: 'In dollars and cents, like 4.95.' })}
    ${field({ name: 'freeFrom', label: 'Free from a subtotal of (USD)', value: v.freeFrom, error: e.freeFrom, hint: 'Leave empty if it is never free.' })}
    ${field({ name: 'minDays', label: 'Fewest business days', value: v.minDays, error: e.minDays, inputmode: 'numeric' })}
    ${field({ name: 'maxDays', label: 'Most business days', value: v.maxDays, error: e.maxDays, inputmode: 'numeric' })}
    ${checkboxField({ name: 'active', label: 'Offered at checkout', checked: v.active === 'on', error: e.active })}
    <button type="submit">${code ? 'Save changes' : 'Add option'}</button>
  </form>
</section>`;
}

// ── tax table ────────────────────────────────────────────────────────────────────────────────────────────────────

/** A refused form on the tax page: a row's rate (`country`) or the new-country form (`country` undefined). */
export type TaxProblem = { country: string | undefined } & FormState;

const countryLabel = (code: string) => regionName(code) ?? countryName(code);

function rateForm(csrf: Html, rate: TaxRate, problem: TaxProblem | undefined): Html {
  const id = `rate-${rate.country}`;
  const error = problem?.errors.rate;
  return html`<form class="inline" method="post" action="/admin/tax/${rate.country}">
    ${csrf}
    <label for="${id}">Rate (%)<span class="visually-hidden"> in ${countryLabel(rate.country)}</span></label>
    <input id="${id}" name="rate" inputmode="decimal" value="${problem ? (problem.values.rate ?? '') : percentOf(rate.rateBasisPoints)}"${error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>
    <button type="submit" class="secondary">Save</button>
    ${error ? html`<span class="error" id="${id}-error" role="alert">${error}</span>` : ''}
  </form>`;
}

export function taxPage(csrf: Html, rates: readonly TaxRate[], problem?: TaxProblem): Html {
  const adding = problem && problem.country === undefined ? problem : EMPTY;
  return html`<section class="admin">
  <h1>Tax rates</h1>
  <p class="note">The shop ships to the countries in this table, at these rates on goods and delivery. Orders already placed keep the rate they were placed with.</p>
  <table>
    <thead><tr><th scope="col">Country</th><th scope="col">Tax</th><th scope="col">Rate</th></tr></thead>
    <tbody>${rates.map(
      (r) => html`<tr><td>${countryLabel(r.country)} (${r.country})</td><td>${r.name}</td><td>${rateForm(csrf, r, problem?.country === r.country ? problem : undefined)}</td></tr>`,
    )}</tbody>
  </table>
  <h2>Add a country</h2>
  <form class="stacked" method="post" action="/admin/tax" novalidate>
    ${csrf}
    ${field({ name: 'country', label: 'Country code', value: adding.values.country, error: adding.errors.country, hint: 'Two letters (ISO 3166), like JP for Japan.' })}
    ${field({ name: 'name', label: 'Name of the tax', value: adding.values.name, error: adding.errors.name, hint: 'Like VAT or GST.' })}
    ${field({ name: 'rate', label: 'Rate (%)', value: adding.values.rate, error: adding.errors.rate, hint: 'Like 10 or 7.25.' })}
    <button type="submit">Add country</button>
  </form>
</section>`;
}
