import type { FieldErrors } from '../../platform/http/errors.ts';
import { field, formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import type { ExportDocument, PrivacyRequest } from '../../privacy/requests/service.ts';
import { cancelledText, type ErasureOutcome } from './service.ts';
import { orderLegalTerm } from './units.ts';

// The privacy center's pages: what the customer may do with their data (seed 000 §8, seed 003 §3), the guest's
// e-mail verification, the copy's download and its readable form, and the answer after erasure.

type FormState = { values?: Record<string, string>; errors?: FieldErrors; message?: string };

const day = (at: Date) => at.toISOString().slice(0, 10);

const REQUEST_WORDS: Record<PrivacyRequest['kind'], string> = { access: 'A copy of your data', erasure: 'Deletion of your data', minor: 'Review of an account' };
const STATUS_WORDS: Record<PrivacyRequest['status'], string> = {
  awaiting_verification: 'waiting for the code',
  received: 'in progress',
  awaiting_identity: 'waiting for you to confirm it is you (see our e-mail)',
  awaiting_confirmation: 'in review',
  completed: 'done',
  refused: 'refused',
};

export const CENTER_NOTICES = {
  copy: 'We are preparing your copy. A link to download it will be e-mailed to you shortly; it works once, within 3 days.',
  marketing_on: 'Marketing e-mail is on. You can switch it off here at any time.',
  marketing_off: 'Marketing e-mail is off: we send you none.',
} as const;
export type CenterNotice = keyof typeof CENTER_NOTICES;

function correctSection(csrf: Html, switches: CenterSwitches): Html {
  return html`<h2>Correct your data</h2>
  <p>Change your name on <a href="/account">your account page</a> and your saved addresses in <a href="/account/addresses">your address book</a>.
  To correct the delivery details of an order already placed, <a href="/contact">contact customer service</a>.</p>
  <h2>Choose what we use your data for</h2>
  <form class="stacked" method="post" action="/privacy-center/marketing">${csrf}
    <label><input type="checkbox" name="marketing" value="yes"${switches.marketing ? html` checked` : ''}> Send me marketing e-mail (offers and news)</label>
    <p class="hint">Off unless you tick it. Your choice is recorded and takes effect at once; you can change it here at any time.</p>
    <button type="submit" class="secondary">Save</button>
  </form>
  <p>Performance analytics, personalised recommendations and remembered preferences are switched on and off in <a href="/privacy/cookies">your cookie settings</a>, at once.</p>`;
}

/** The per-purpose switches kept with the account. */
export type CenterSwitches = { marketing: boolean };

export function centerPage(csrf: Html, requests: readonly PrivacyRequest[], switches: CenterSwitches, s: FormState & { notice?: CenterNotice | undefined } = {}): Html {
  return html`<section class="account privacy-center">
  <h1>Your privacy center</h1>
  ${s.notice ? html`<p class="notice" role="status">${CENTER_NOTICES[s.notice]}</p>` : ''}
  <h2>Get a copy of your data</h2>
  <p>Everything we hold about you: your account, addresses, orders, returns and the e-mails we sent you, which companies received which details and when, and which of our staff looked at your data and why.
  You get it as a file for other programs (JSON, <a href="/privacy-center/export-format">format described here</a>), as CSV files for a spreadsheet (in one zip), or as a page to read.</p>
  <form method="post" action="/privacy-center/copy">${csrf}<button type="submit">Prepare my copy</button></form>
  ${correctSection(csrf, switches)}
  <h2>Delete your account</h2>
  <p>Your account, profile, addresses, sessions and messages are deleted at once. Orders not sent yet are cancelled, and refunded in full if paid. Orders are kept for as long as tax and commercial law require (${orderLegalTerm()} after the last activity on each), encrypted, out of our staff’s sight, and destroyed when that time ends. You will get an e-mail listing both.</p>
  ${formError(s.message)}
  <form class="stacked" method="post" action="/privacy-center/erase" novalidate>
    ${csrf}
    ${field({ name: 'password', label: 'Your password', type: 'password', error: s.errors?.password, autocomplete: 'current-password', hint: 'To confirm that it is you.' })}
    <div class="field${s.errors?.confirm ? ' has-error' : ''}">
      <label><input type="checkbox" name="confirm" value="yes"${s.errors?.confirm ? html` aria-invalid="true" aria-describedby="f-confirm-error"` : ''}> I understand that this cannot be undone</label>
      ${s.errors?.confirm ? html`<span class="error" id="f-confirm-error">${s.errors.confirm}</span>` : ''}
    </div>
    <button type="submit" class="danger">Delete my account</button>
  </form>
  ${requests.length > 0
    ? html`<h2>Your requests</h2><table><thead><tr><th scope="col">Request</th><th scope="col">Received</th><th scope="col">Status</th></tr></thead><tbody>${requests.map(
        (r) => html`<tr><td>${REQUEST_WORDS[r.kind]}</td><td>${day(r.receivedAt)}</td><td>${STATUS_WORDS[r.status]}</td></tr>`,
      )}</tbody></table>`
    : ''}
</section>`;
}

export function guestStartPage(csrf: Html, s: FormState = {}): Html {
  const v = s.values ?? {};
  return html`<section class="account privacy-center">
  <h1>Your privacy center</h1>
  <p>With an account? <a href="/account/login">Sign in</a> to get a copy of your data, correct it or delete it.</p>
  <h2>Bought without an account?</h2>
  <p>Ask for a copy of what we hold under your e-mail address, or for its deletion. We send a 6-digit code to that address first, so only its owner can see or delete anything.</p>
  <form class="stacked" method="post" action="/privacy-center/guest" novalidate>
    ${csrf}
    ${field({ name: 'email', label: 'E-mail', type: 'email', value: v.email, error: s.errors?.email, autocomplete: 'email' })}
    <fieldset${s.errors?.kind ? html` aria-describedby="f-kind-error"` : ''}>
      <legend>What would you like?</legend>
      <label><input type="radio" name="kind" value="access"${v.kind === 'access' ? html` checked` : ''}> A copy of my data</label>
      <label><input type="radio" name="kind" value="erasure"${v.kind === 'erasure' ? html` checked` : ''}> Delete my data</label>
      ${s.errors?.kind ? html`<span class="error" id="f-kind-error">${s.errors.kind}</span>` : ''}
    </fieldset>
    <button type="submit">Send me a code</button>
  </form>
</section>`;
}

export function guestCodePage(csrf: Html, requestId: string, s: FormState = {}): Html {
  const v = s.values ?? {};
  return html`<section class="auth">
  <h1>Enter your code</h1>
  <p>We have sent a 6-digit code to the address you gave. It works for 30 minutes.</p>
  ${formError(s.message)}
  <form class="stacked" method="post" action="/privacy-center/guest/${requestId}" novalidate>
    ${csrf}
    ${field({ name: 'email', label: 'E-mail', type: 'email', value: v.email, error: s.errors?.email, autocomplete: 'email' })}
    ${field({ name: 'code', label: 'Code', value: v.code, error: s.errors?.code, autocomplete: 'one-time-code', inputmode: 'numeric' })}
    <button type="submit">Confirm</button>
  </form>
</section>`;
}

export function erasedPage(outcome: ErasureOutcome | undefined): Html {
  return html`<section class="auth">
  <h1>Your data has been deleted</h1>
  ${outcome && outcome.cancelled.length > 0
    ? html`<h2>Cancelled, as they had not been sent yet</h2><ul>${outcome.cancelled.map((o) => html`<li>${cancelledText(o)}</li>`)}</ul>`
    : ''}
  ${outcome
    ? html`<h2>Deleted now</h2><ul>${outcome.erased.map((e) => html`<li>${e.label} (${e.count})</li>`)}</ul>
  ${outcome.held.length > 0
    ? html`<h2>Kept because the law requires it</h2><ul>${outcome.held.map((h) => html`<li>${h.label} (${h.count}), until ${h.until}: ${h.why}</li>`)}</ul>
  <p>Their personal details stay encrypted, out of our staff’s sight, and are destroyed on that date.</p>`
    : ''}`
    : ''}
  <p>We have sent a confirmation to your e-mail address.</p>
  <p><a href="/">Back to the shop</a></p>
</section>`;
}

export function copyOfferPage(csrf: Html, token: string): Html {
  return html`<section class="auth">
  <h1>Your copy is ready</h1>
  <p>This link works once: choose the form you want. The file is deleted from our servers as soon as you have it.</p>
  <form method="post" action="/privacy-center/copy/${token}">${csrf}<input type="hidden" name="format" value="html"><button type="submit">Show it as a page</button></form>
  <form method="post" action="/privacy-center/copy/${token}">${csrf}<input type="hidden" name="format" value="json"><button type="submit" class="secondary">Download it as JSON</button></form>
  <form method="post" action="/privacy-center/copy/${token}">${csrf}<input type="hidden" name="format" value="csv"><button type="submit" class="secondary">Download it as CSV files (zip)</button></form>
</section>`;
}

/** Any exported value as nested lists: the readable copy shows exactly what the JSON holds. */
function valueHtml(value: unknown): Html {
  if (value === null || value === undefined) return html`<span class="hint">none</span>`;
  if (Array.isArray(value)) return value.length === 0 ? html`<span class="hint">none</span>` : html`<ol>${value.map((v) => html`<li>${valueHtml(v)}</li>`)}</ol>`;
  if (typeof value === 'object') return html`<dl>${Object.entries(value).map(([k, v]) => html`<dt>${k}</dt><dd>${valueHtml(v)}</dd>`)}</dl>`;
  return html`${String(value)}`;
}

export function copyPage(document: ExportDocument): Html {
  return html`<section class="account privacy-copy">
  <h1>Your data at Pledge</h1>
  <p>As of ${document.generatedAt}. Save this page: the link that opened it does not work again.</p>
  ${document.units.length === 0 ? html`<p>We hold nothing about you.</p>` : ''}
  ${document.units.map((u) => html`<section><h2>${u.label}</h2>${valueHtml(u.data)}</section>`)}
  <h2>Who received your data</h2>
  ${document.disclosures.length === 0
    ? html`<p>Nobody.</p>`
    : html`<table><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Why</th><th scope="col">Which details</th></tr></thead><tbody>${document.disclosures.map(
        (d) => html`<tr><td>${d.at}</td><td>${d.recipient}</td><td>${d.purpose}</td><td>${d.fields.join(', ')}</td></tr>`,
      )}</tbody></table>`}
  <h2>Which of our staff looked at your data</h2>
  ${document.reads.length === 0
    ? html`<p>None.</p>`
    : html`<table><thead><tr><th scope="col">When</th><th scope="col">Role</th><th scope="col">Why</th><th scope="col">Which details</th></tr></thead><tbody>${document.reads.map(
        (r) => html`<tr><td>${r.at}</td><td>${r.staffRoles.join(', ')}</td><td>${r.purpose}</td><td>${r.fields.join(', ')}</td></tr>`,
      )}</tbody></table>`}
</section>`;
}

export function exportFormatPage(schema: object): Html {
  return html`<section class="account">
  <h1>The format of your copy</h1>
  <p>The JSON copy follows this JSON Schema (draft 2020-12). Each unit is one record we keep under its own encryption key: your account, each order, each e-mail.</p>
  <pre>${JSON.stringify(schema, null, 2)}</pre>
</section>`;
}
