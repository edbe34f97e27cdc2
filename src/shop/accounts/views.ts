import type { FieldErrors } from '../../platform/http/errors.ts';
import { field, formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { addressLines } from '../orders/address.ts';
import { addressFields } from '../orders/views.ts';
import { MAX_ADDRESSES, type SavedAddress } from './addresses.ts';

type FormState = { values?: Record<string, string>; errors?: FieldErrors; message?: string };

export function registerPage(csrf: Html, s: FormState = {}): Html {
  const v = s.values ?? {};
  const e = s.errors ?? {};
  return html`<section class="auth">
  <h1>Create an account</h1>
  <p>We keep your name, e-mail address and password (as a one-way hash) to run your account, and nothing else.</p>
  ${formError(s.message)}
  <form class="stacked" method="post" action="/account/register" novalidate>
    ${csrf}
    ${field({ name: 'name', label: 'Name', value: v.name, error: e.name, autocomplete: 'name' })}
    ${field({ name: 'email', label: 'E-mail', type: 'email', value: v.email, error: e.email, autocomplete: 'email' })}
    ${field({ name: 'password', label: 'Password', type: 'password', error: e.password, autocomplete: 'new-password', hint: 'At least 10 characters.' })}
    <div class="field${e.adult ? ' has-error' : ''}">
      <label><input type="checkbox" name="adult" value="yes"${v.adult === 'yes' ? html` checked` : ''}${e.adult ? html` aria-invalid="true" aria-describedby="f-adult-error"` : ''}> I am 18 or older</label>
      ${e.adult ? html`<span class="error" id="f-adult-error">${e.adult}</span>` : ''}
    </div>
    <button type="submit">Create account</button>
  </form>
  <p>Already have an account? <a href="/account/login">Sign in</a>.</p>
</section>`;
}

export function checkInboxPage(what: string): Html {
  return html`<section class="auth">
  <h1>Check your inbox</h1>
  <p>${what}</p>
  <p><a href="/">Back to the shop</a></p>
</section>`;
}

export function loginPage(csrf: Html, s: FormState = {}): Html {
  const e = s.errors ?? {};
  return html`<section class="auth">
  <h1>Sign in</h1>
  ${formError(s.message)}
  <form class="stacked" method="post" action="/account/login" novalidate>
    ${csrf}
    ${field({ name: 'email', label: 'E-mail', type: 'email', value: s.values?.email, error: e.email, autocomplete: 'email' })}
    ${field({ name: 'password', label: 'Password', type: 'password', error: e.password, autocomplete: 'current-password' })}
    <button type="submit">Sign in</button>
  </form>
  <p><a href="/account/reset">Forgot your password?</a> · <a href="/account/register">Create an account</a></p>
  <p>Bought without an account? <a href="/orders/lookup">Find an order</a>.</p>
</section>`;
}

export function resetRequestPage(csrf: Html, s: FormState = {}): Html {
  return html`<section class="auth">
  <h1>Reset your password</h1>
  <p>Enter the address of your account and we will e-mail you a link to choose a new password.</p>
  <form class="stacked" method="post" action="/account/reset" novalidate>
    ${csrf}
    ${field({ name: 'email', label: 'E-mail', type: 'email', value: s.values?.email, error: s.errors?.email, autocomplete: 'email' })}
    <button type="submit">Send the link</button>
  </form>
</section>`;
}

export function resetPage(csrf: Html, token: string, s: FormState = {}): Html {
  const e = s.errors ?? {};
  return html`<section class="auth">
  <h1>Choose a new password</h1>
  <form class="stacked" method="post" action="/account/reset/${token}" novalidate>
    ${csrf}
    ${field({ name: 'password', label: 'New password', type: 'password', error: e.password, autocomplete: 'new-password', hint: 'At least 10 characters.' })}
    ${field({ name: 'confirm', label: 'Repeat the password', type: 'password', error: e.confirm, autocomplete: 'new-password' })}
    <button type="submit">Save the password</button>
  </form>
</section>`;
}

export function messagePage(title: string, text: string, link: { href: string; label: string }): Html {
  return html`<section class="auth"><h1>${title}</h1><p>${text}</p><p><a href="${link.href}">${link.label}</a></p></section>`;
}

export function accountPage(csrf: Html, p: { name: string; email: string }, s: FormState & { saved?: boolean } = {}): Html {
  return html`<section class="account">
  <h1>Your account</h1>
  ${s.saved ? html`<p class="notice" role="status">Your details were saved.</p>` : ''}
  <dl><dt>E-mail</dt><dd>${p.email}</dd></dl>
  <p><a href="/account/orders">Your orders</a> · <a href="/account/addresses">Your addresses</a> · <a href="/account/tickets">Your messages</a> · <a href="/privacy-center">Your privacy center</a></p>
  <h2>Your details</h2>
  <form class="stacked" method="post" action="/account/profile" novalidate>
    ${csrf}
    ${field({ name: 'name', label: 'Name', value: s.values?.name ?? p.name, error: s.errors?.name, autocomplete: 'name' })}
    <button type="submit">Save</button>
  </form>
  <form method="post" action="/account/logout">${csrf}<button type="submit">Sign out</button></form>
</section>`;
}

export const ADDRESS_NOTICES = { added: 'The address was added.', saved: 'The address was saved.', deleted: 'The address was deleted.', default: 'That address is now your default.' } as const;
export type AddressNotice = keyof typeof ADDRESS_NOTICES;

export function addressBookPage(csrf: Html, book: readonly SavedAddress[], notice?: AddressNotice): Html {
  return html`<section class="account">
  <h1>Your addresses</h1>
  ${notice ? html`<p class="notice" role="status">${ADDRESS_NOTICES[notice]}</p>` : ''}
  ${book.length === 0 ? html`<p>Your address book is empty. Addresses you keep here are offered at checkout.</p>` : ''}
  <ul class="address-book">${book.map(
    (a) => html`<li>
    <address>${addressLines(a.address).map((line, i) => html`${i > 0 ? html`<br>` : ''}${line}`)}${a.address.phone ? html`<br>Phone: ${a.address.phone}` : ''}</address>
    ${a.isDefault ? html`<p><strong>Default address</strong></p>` : html`<form method="post" action="/account/addresses/${a.id}/default">${csrf}<button type="submit" class="secondary">Make default</button></form>`}
    <p><a href="/account/addresses/${a.id}/edit">Edit<span class="visually-hidden"> the address of ${a.address.recipientName}, ${a.address.line1}</span></a></p>
    <form method="post" action="/account/addresses/${a.id}/delete">${csrf}<button type="submit" class="secondary">Delete<span class="visually-hidden"> the address of ${a.address.recipientName}, ${a.address.line1}</span></button></form>
  </li>`,
  )}</ul>
  ${book.length < MAX_ADDRESSES
    ? html`<p><a class="button" href="/account/addresses/new">Add an address</a></p>`
    : html`<p>Your address book is full (${MAX_ADDRESSES} addresses). Delete one you no longer use to add another.</p>`}
  <p><a href="/account">Back to your account</a></p>
</section>`;
}

/** The add form (no `id`) or the edit form of one address. */
export function addressFormPage(csrf: Html, countries: readonly string[], s: FormState & { id?: string } = {}): Html {
  return html`<section class="account">
  <h1>${s.id ? 'Edit the address' : 'Add an address'}</h1>
  ${formError(s.message)}
  <form class="stacked" method="post" action="${s.id ? `/account/addresses/${s.id}` : '/account/addresses'}" novalidate>
    ${csrf}
    ${addressFields(countries, s.values ?? {}, s.errors ?? {})}
    <button type="submit">Save the address</button>
  </form>
  <p><a href="/account/addresses">Back to your addresses</a></p>
</section>`;
}
