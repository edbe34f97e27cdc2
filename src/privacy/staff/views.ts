import { field, formError } from '../../platform/http/forms.ts';
import type { FieldErrors } from '../../platform/http/errors.ts';
import { html, trusted, type Html } from '../../platform/http/html.ts';
import type { Role } from '../access.ts';

export type AuditRow = { id: number; at: Date; staffId: string; staffRoles: string[]; subjectKind: string; fields: string[]; purpose: string };

/**
 * A back-office page offered by a feature outside the privacy engine (the shop's catalogue, fulfilment, support),
 * handed to the staff routes by the app, so the dashboard links to it without the engine importing the shop.
 */
export type DeskLink = { href: string; label: string; allow: readonly Role[] };

const ROLE_LABELS: Record<Role, string> = { support: 'Support', fulfilment: 'Fulfilment', privacy_officer: 'Privacy officer', admin: 'Administrator' };

export function loginPage(csrf: Html, state: { email?: string; errors?: FieldErrors; failed?: boolean } = {}): Html {
  const e = state.errors ?? {};
  return html`<section class="auth">
  <h1>Staff sign-in</h1>
  ${formError(state.failed ? 'Those details did not match, or the account is locked for a while after repeated failures.' : undefined)}
  <form class="stacked" method="post" action="/admin/login" novalidate>
    ${csrf}
    ${field({ name: 'email', label: 'E-mail', type: 'email', value: state.email, error: e.email, autocomplete: 'username' })}
    ${field({ name: 'password', label: 'Password', type: 'password', error: e.password, autocomplete: 'current-password' })}
    ${field({ name: 'code', label: 'Authenticator code', inputmode: 'numeric', error: e.code, autocomplete: 'one-time-code', hint: 'The 6-digit code from your authenticator app, or one of your recovery codes.' })}
    <button type="submit">Sign in</button>
  </form>
</section>`;
}

export function setupPage(csrf: Html, token: string, setup: { email: string; secret: string; qrSvg: string }, errors: FieldErrors = {}): Html {
  return html`<section class="auth">
  <h1>Set up your staff account</h1>
  <p>Signing in as <strong>${setup.email}</strong>. Scan this code with an authenticator app (or type the key below), then choose a password.</p>
  <div class="qr">${trusted(setup.qrSvg)}</div>
  <p>Key: <span class="secret">${setup.secret}</span></p>
  ${formError(errors._)}
  <form class="stacked" method="post" action="/admin/setup/${token}" novalidate>
    ${csrf}
    ${field({ name: 'password', label: 'New password', type: 'password', error: errors.password, autocomplete: 'new-password', hint: 'At least 12 characters.' })}
    ${field({ name: 'confirm', label: 'Repeat the password', type: 'password', error: errors.confirm, autocomplete: 'new-password' })}
    ${field({ name: 'code', label: 'Code from the app', inputmode: 'numeric', error: errors.code, autocomplete: 'one-time-code' })}
    <button type="submit">Finish set-up</button>
  </form>
</section>`;
}

export function recoveryCodesPage(codes: string[]): Html {
  return html`<section class="auth">
  <h1>Your account is ready</h1>
  <p>Keep these recovery codes somewhere safe. Each signs you in once if you lose your authenticator; they are not shown again.</p>
  <ul class="codes">${codes.map((c) => html`<li>${c}</li>`)}</ul>
  <p><a href="/admin/login">Sign in</a></p>
</section>`;
}

export function adminHome(csrf: Html, staff: { email: string; roles: readonly Role[] }, desk: readonly DeskLink[], audit: AuditRow[] | undefined): Html {
  return html`<section class="admin">
  <h1>Back office</h1>
  <p>Signed in as <strong>${staff.email}</strong> — ${staff.roles.map((r) => ROLE_LABELS[r]).join(', ') || 'no role'}.</p>
  ${desk.length === 0 ? '' : html`<nav aria-label="Your work"><ul>${desk.map((link) => html`<li><a href="${link.href}">${link.label}</a></li>`)}</ul></nav>`}
  <form method="post" action="/admin/logout">${csrf}<button type="submit">Sign out</button></form>
  ${audit === undefined
    ? ''
    : html`<h2>Audit log</h2>
  <p class="note">Every read of customers’ personal data by staff, newest first. The chain of hashes is checked by <code>pledge audit verify</code>.</p>
  ${audit.length === 0
    ? html`<p>No staff has read personal data yet.</p>`
    : html`<table>
    <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Staff</th><th scope="col">Subject</th><th scope="col">Fields</th><th scope="col">Purpose</th></tr></thead>
    <tbody>${audit.map((a) => html`<tr><td>${a.id}</td><td><time datetime="${a.at.toISOString()}">${a.at.toISOString().replace('T', ' ').slice(0, 16)}</time></td><td>${a.staffId.slice(0, 8)} (${a.staffRoles.join(', ')})</td><td>${a.subjectKind}</td><td>${a.fields.join(', ')}</td><td>${a.purpose}</td></tr>`)}</tbody>
  </table>`}`}
</section>`;
}
