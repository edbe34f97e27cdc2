import { html, type Html } from '../../platform/http/html.ts';
import { COOKIE_CATEGORIES, COOKIES, cookiesIn, OPTIONAL_CATEGORIES, STORAGE_KEYS, type CookieCategory, type OptionalCategory } from '../cookies.ts';
import { CONSENT_METHODS, type Choice, type ConsentRecord } from './service.ts';

// The banner and the settings page are plain forms: they work without JavaScript, the three answers are buttons
// of the same size and style, and every switch has its label.

function categorySwitches(granted: readonly OptionalCategory[], idPrefix: string): Html {
  return html`${OPTIONAL_CATEGORIES.map(
    (category) => html`<label class="consent-switch" for="${idPrefix}-${category}"><input type="checkbox" id="${idPrefix}-${category}" name="categories" value="${category}"${granted.includes(category) ? html` checked` : ''}>
      <span><strong>${COOKIE_CATEGORIES[category].label}</strong> — ${COOKIE_CATEGORIES[category].purpose}</span></label>`,
  )}`;
}

function answers(): Html {
  return html`<div class="consent-answers">
      <button type="submit" name="answer" value="accept">Accept all</button>
      <button type="submit" name="answer" value="reject">Reject all</button>
      <button type="submit" name="answer" value="choose">Save my choices</button>
    </div>`;
}

/** The banner a visitor sees until they choose; the same for everyone, so cached pages can carry it. */
export const consentBanner: Html = html`<section class="consent-banner" aria-labelledby="consent-banner-title">
  <h2 id="consent-banner-title">Cookies</h2>
  <p>Besides the cookies the shop needs to work, we would like to use a few more. Nothing beyond the essential ones is
  set until you choose, and you can change your mind at any time from the link at the bottom of every page. Read
  <a href="/privacy">our privacy policy</a> and <a href="/privacy/cookies">the full list of cookies</a>.</p>
  <form method="post" action="/privacy/cookies">
    <input type="hidden" name="from" value="banner">
    <fieldset>
      <legend>Choose which to allow</legend>
      ${categorySwitches([], 'banner')}
    </fieldset>
    ${answers()}
  </form>
</section>`;

function describeChoice(choice: Choice | undefined, gpcOverride: boolean): Html {
  if (gpcOverride) return html`<p class="notice">Your browser sends a Global Privacy Control signal, so every optional category is refused. You can still allow some below: that choice is yours and overrides the signal on this device.</p>`;
  if (!choice) return html`<p>You have not made a choice yet, so only essential cookies are used.</p>`;
  const granted = choice.granted.map((c) => COOKIE_CATEGORIES[c].label);
  return html`<p>Your choice, made with ${CONSENT_METHODS[choice.method]}: ${granted.length > 0 ? `allowed ${granted.join(', ')}` : 'only essential cookies'}.</p>`;
}

function cookieTable(category: CookieCategory): Html {
  const names = cookiesIn(category);
  if (names.length === 0) return html`<p>No cookies in this category at present.</p>`;
  return html`<table>
    <thead><tr><th scope="col">Cookie</th><th scope="col">Purpose</th><th scope="col">Kept for</th></tr></thead>
    <tbody>${names.map((name) => html`<tr><td><code>${name}</code></td><td>${COOKIES[name].purpose}</td><td>${COOKIES[name].lifetime}</td></tr>`)}</tbody>
  </table>`;
}

export function cookieSettingsView(choice: Choice | undefined, gpcOverride: boolean, saved: boolean): Html {
  const granted = gpcOverride ? [] : (choice?.granted ?? []);
  const storageKeys = Object.keys(STORAGE_KEYS);
  return html`<section class="cookie-settings">
  <h1>Cookies</h1>
  ${saved ? html`<p class="notice" role="status">Your choice is saved.</p>` : ''}
  ${describeChoice(choice, gpcOverride)}
  <form method="post" action="/privacy/cookies">
    <input type="hidden" name="from" value="settings">
    <fieldset>
      <legend>Optional categories</legend>
      ${categorySwitches(granted, 'settings')}
    </fieldset>
    ${answers()}
  </form>
  <p>Every choice you make is recorded, so you can see what you agreed to and when:
  <a href="/privacy/cookies/receipt">your consent receipt</a> (also <a href="/privacy/cookies/receipt.json" download>as JSON</a>).
  Read more in <a href="/privacy">our privacy policy</a>.</p>
  <h2>Every cookie we use</h2>
  ${Object.entries(COOKIE_CATEGORIES).map(([category, { label, purpose }]) => html`<h3>${label}</h3><p>${purpose}</p>${cookieTable(category as CookieCategory)}`)}
  <h2>Browser storage</h2>
  <p>${storageKeys.length === 0 ? 'The shop keeps nothing in your browser’s local or session storage.' : storageKeys.join(', ')}</p>
  <p>If you turn cookies off in your browser, you can still browse and read every page; the cart, signing in and
  forms need the essential cookies and will ask you to allow them.</p>
</section>`;
}

export function receiptView(records: ConsentRecord[]): Html {
  return html`<section class="consent-receipt">
  <h1>Your consent receipt</h1>
  ${records.length === 0
    ? html`<p>There is no recorded choice for this browser. <a href="/privacy/cookies">Make one</a>.</p>`
    : html`<p>Every cookie choice recorded for this browser${records.some((r) => r.signedIn) ? ' and your account' : ''}, the newest first. <a href="/privacy/cookies/receipt.json" download>Download as JSON</a>.</p>
  <table>
    <thead><tr><th scope="col">When (UTC)</th><th scope="col">Allowed</th><th scope="col">Refused</th><th scope="col">How</th><th scope="col">Record</th></tr></thead>
    <tbody>${records.map(
      (r, i) => html`<tr><td>${r.recordedAt.toISOString().replace('T', ' ').slice(0, 16)}${i === 0 ? ' (current)' : ''}</td>
        <td>${r.granted.map((c) => COOKIE_CATEGORIES[c].label).join(', ') || 'none'}</td>
        <td>${r.refused.map((c) => COOKIE_CATEGORIES[c].label).join(', ') || 'none'}</td>
        <td>${CONSENT_METHODS[r.method]}</td><td><code>${r.id}</code>, cookie list ${r.policyRevision}</td></tr>`,
    )}</tbody>
  </table>`}
  <p><a href="/privacy/cookies">Change your choice</a></p>
</section>`;
}
