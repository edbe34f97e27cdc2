import type { FieldErrors } from '../../platform/http/errors.ts';
import { formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { inZone } from '../incidents/service.ts';
import type { AlertStatus } from './schema.ts';
import { RULE_LABELS, type AlertActionRow, type RuleInForce, type SecurityAlert } from './service.ts';

// The privacy officer's security alerts. Nothing here is personal: staff accounts and requests by id, counts, times.

const STATUS_WORDS: Record<AlertStatus, string> = { new: 'New', acknowledged: 'Acknowledged', dismissed: 'Dismissed', incident: 'Incident opened' };
const ACTION_WORDS: Record<AlertActionRow['action'], string> = { acknowledged: 'Acknowledged', dismissed: 'Dismissed', incident: 'Incident opened' };

type FormState = { errors?: FieldErrors; values?: Record<string, string>; message?: string };

function window(alert: SecurityAlert, zone: string): string {
  return alert.windowStart.getTime() === alert.windowEnd.getTime() ? inZone(alert.windowStart, zone) : `${inZone(alert.windowStart, zone)} – ${inZone(alert.windowEnd, zone)}`;
}

export function alertsPage(alerts: readonly SecurityAlert[], rules: readonly RuleInForce[], zone: string): Html {
  return html`<section class="admin security">
  <h1>Security alerts</h1>
  <p>Checked every ten minutes over the hour under way and the 24 before it. Each new alert is e-mailed to every privacy officer. Alerts name staff accounts and requests by id, never a customer.</p>
  ${alerts.length === 0
    ? html`<p>No alerts.</p>`
    : html`<table><thead><tr><th scope="col">Alert</th><th scope="col">Staff account or request</th><th scope="col">Window</th><th scope="col">Observed</th><th scope="col">Threshold</th><th scope="col">Status</th></tr></thead><tbody>${alerts.map(
        (a) => html`<tr class="alert-${a.status}"><td><a href="/admin/security/${a.id}">${RULE_LABELS[a.rule]}</a></td><td>${a.staffId ?? `request ${a.requestId ?? ''}`}</td><td>${window(a, zone)}</td><td>${String(a.observed)}</td><td>${String(a.threshold)}</td><td>${STATUS_WORDS[a.status]}</td></tr>`,
      )}</tbody></table>`}
  <h2>Rules and their settings</h2>
  <table><thead><tr><th scope="col">Rule</th><th scope="col">Setting</th><th scope="col">Raises an alert for</th></tr></thead><tbody>${rules.map(
    (r) => html`<tr><td>${r.label}</td><td><code>${r.setting}</code></td><td>${r.explanation}</td></tr>`,
  )}</tbody></table>
</section>`;
}

function noteForm(alert: SecurityAlert, action: 'acknowledge' | 'dismiss', label: string, csrf: Html, s: FormState): Html {
  const error = s.values?.action === action ? s.errors?.note : undefined;
  const id = `f-${action}-note`;
  return html`<form class="stacked" method="post" action="/admin/security/${alert.id}/${action}" novalidate>
    ${csrf}
    <div class="field${error ? ' has-error' : ''}">
      <label for="${id}">${label}</label>
      <textarea id="${id}" name="note" rows="2"${error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>${s.values?.action === action ? (s.values.note ?? '') : ''}</textarea>
      ${error ? html`<span class="error" id="${id}-error">${error}</span>` : ''}
    </div>
    <button type="submit"${action === 'dismiss' ? html` class="secondary"` : ''}>${action === 'acknowledge' ? 'Acknowledge' : 'Dismiss'}</button>
  </form>`;
}

export function alertPage(alert: SecurityAlert, actions: readonly AlertActionRow[], zone: string, csrf: Html, s: FormState = {}): Html {
  const open = alert.status === 'new' || alert.status === 'acknowledged';
  return html`<section class="admin security-alert">
  <h1>${RULE_LABELS[alert.rule]}</h1>
  <p><a href="/admin/security">All alerts</a></p>
  ${formError(s.message)}
  <dl>
    <dt>Status</dt><dd>${STATUS_WORDS[alert.status]}${alert.incidentId ? html` — <a href="/admin/incidents/${alert.incidentId}">the incident</a>` : ''}</dd>
    <dt>Raised</dt><dd>${inZone(alert.raisedAt, zone)}</dd>
    <dt>${alert.staffId ? 'Staff account' : 'Privacy request'}</dt><dd>${alert.staffId ?? alert.requestId ?? '—'}</dd>
    <dt>Window</dt><dd>${window(alert, zone)}</dd>
    <dt>Observed</dt><dd>${String(alert.observed)}</dd>
    <dt>Threshold</dt><dd>${String(alert.threshold)} (<code>${alert.setting}</code>)</dd>
    <dt>Reasoning</dt><dd class="reasoning">${alert.reasoning}</dd>
  </dl>
  ${open
    ? html`<h2>What to do</h2>
  <p><a href="/admin/incidents?alert=${alert.id}">Open an incident from this alert</a> (the form comes filled in from it).</p>
  ${alert.status === 'new' ? noteForm(alert, 'acknowledge', 'Acknowledge: what you are doing about it (no personal data)', csrf, s) : ''}
  ${noteForm(alert, 'dismiss', 'Dismiss: why this is not a concern (no personal data)', csrf, s)}`
    : ''}
  <h2>Trail</h2>
  ${actions.length === 0
    ? html`<p>Nothing done yet.</p>`
    : html`<table><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">By</th><th scope="col">Note</th></tr></thead><tbody>${actions.map(
        (a) => html`<tr><td>${inZone(a.at, zone)}</td><td>${ACTION_WORDS[a.action]}</td><td>${a.staffId}</td><td>${a.note}</td></tr>`,
      )}</tbody></table>`}
</section>`;
}
