import type { FieldErrors } from '../../platform/http/errors.ts';
import { field, formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { PROCESSORS } from '../inventory.ts';
import type { IncidentState } from './schema.ts';
import { affectableColumns, categoryLabel, hoursLeft, inZone, nextStates, NOTIFY_WITHIN_HOURS, type Incident, type IncidentNotice, type IncidentStep, type OpenedSubject } from './service.ts';

// The privacy officer's incident pages. Nothing here is personal: subjects are counted, never named.

type FormState = { errors?: FieldErrors; values?: Record<string, string | string[]>; message?: string };

const STATE_WORDS: Record<IncidentState, string> = { triage: 'Triage', contained: 'Contained', notified: 'Regulator notified', closed: 'Closed' };
const STEP_WORDS: Record<string, string> = { ...STATE_WORDS, triage: 'Opened (triage)', affected: 'Affected subjects found', notices: 'Customer notices sent', subject_opened: 'A subject’s data opened' };

/** The 72-hour clock in words: hours left, or overdue, or stopped once the regulator was told. */
export function clockWords(incident: Incident, now: Date): string {
  if (incident.state === 'notified' || incident.state === 'closed') return 'regulator notified';
  const left = hoursLeft(incident, now);
  const hours = (n: number) => `${n} hour${n === 1 ? '' : 's'}`;
  return left >= 0 ? `${hours(left)} left` : `OVERDUE by ${hours(-left)}`;
}

const clockClass = (incident: Incident, now: Date) =>
  incident.state === 'notified' || incident.state === 'closed' ? 'done' : hoursLeft(incident, now) < 0 ? 'overdue' : hoursLeft(incident, now) < 24 ? 'due_soon' : 'on_track';

function textArea(name: string, label: string, s: FormState, hint?: string): Html {
  const error = s.errors?.[name];
  const value = s.values?.[name];
  return html`<div class="field${error ? ' has-error' : ''}">
  <label for="f-${name}">${label}</label>
  ${hint ? html`<span class="hint" id="f-${name}-hint">${hint}</span>` : ''}
  <textarea id="f-${name}" name="${name}" rows="3"${hint ? html` aria-describedby="f-${name}-hint"` : ''}${error ? html` aria-invalid="true"` : ''}>${typeof value === 'string' ? value : ''}</textarea>
  ${error ? html`<span class="error" id="f-${name}-error">${error}</span>` : ''}
</div>`;
}

function timeField(name: string, label: string, s: FormState): Html {
  const error = s.errors?.[name];
  const value = s.values?.[name];
  return html`<div class="field${error ? ' has-error' : ''}">
  <label for="f-${name}">${label}</label>
  <input id="f-${name}" name="${name}" type="datetime-local"${typeof value === 'string' && value ? html` value="${value}"` : ''}${error ? html` aria-invalid="true" aria-describedby="f-${name}-error"` : ''}>
  ${error ? html`<span class="error" id="f-${name}-error">${error}</span>` : ''}
</div>`;
}

const chosen = (s: FormState, name: string): string[] => {
  const value = s.values?.[name];
  return Array.isArray(value) ? value : value ? [value] : [];
};

function openForm(csrf: Html, s: FormState): Html {
  const columns = chosen(s, 'columns');
  const processors = chosen(s, 'processors');
  return html`<h2>Open an incident</h2>
  <form class="stacked" method="post" action="/admin/incidents" novalidate>
    ${csrf}
    ${formError(s.message)}
    ${typeof s.values?.alertId === 'string' && s.values.alertId
      ? html`<input type="hidden" name="alertId" value="${s.values.alertId}"><p class="note">Filled in from <a href="/admin/security/${s.values.alertId}">a security alert</a>, which will name this incident. Check every field.</p>`
      : ''}
    ${textArea('summary', 'What happened', s, 'Describe the event and its cause. Write no personal data: no names, addresses or order numbers.')}
    ${textArea('consequences', 'Likely consequences for the people concerned', s, 'No personal data here either.')}
    <div class="field${s.errors?.columns ? ' has-error' : ''}">
      <label for="f-columns">Data affected (from the inventory)</label>
      <select id="f-columns" name="columns" multiple size="10"${s.errors?.columns ? html` aria-invalid="true" aria-describedby="f-columns-error"` : ''}>${[...affectableColumns()].map(
        ([column, category]) => html`<option value="${column}"${columns.includes(column) ? html` selected` : ''}>${column} — ${categoryLabel(category)}</option>`,
      )}</select>
      ${s.errors?.columns ? html`<span class="error" id="f-columns-error">${s.errors.columns}</span>` : ''}
    </div>
    <fieldset${s.errors?.processors ? html` class="has-error"` : ''}><legend>Processors that received data they should not have, or lost it</legend>
      ${Object.entries(PROCESSORS).map(([key, p]) => html`<label><input type="checkbox" name="processors" value="${key}"${processors.includes(key) ? html` checked` : ''}> ${p.label}</label>`)}
      ${s.errors?.processors ? html`<span class="error">${s.errors.processors}</span>` : ''}
    </fieldset>
    ${textArea('staffIds', 'Staff accounts whose reads are in question (account ids, one per line)', s)}
    ${field({ name: 'zone', label: 'Time zone of the times below', value: typeof s.values?.zone === 'string' ? s.values.zone : 'UTC', error: s.errors?.zone, hint: 'An IANA zone such as Europe/Berlin; times are stored in UTC.' })}
    ${timeField('windowStart', 'Window: from', s)}
    ${timeField('windowEnd', 'Window: until', s)}
    ${timeField('discoveredAt', 'Discovered at', s)}
    <button type="submit">Open the incident</button>
  </form>`;
}

export function listPage(incidents: readonly Incident[], now: Date, csrf: Html, s: FormState = {}): Html {
  return html`<section class="admin incidents">
  <h1>Incidents</h1>
  <p>The regulator must be told within ${NOTIFY_WITHIN_HOURS} hours of discovery (GDPR Art. 33).</p>
  ${incidents.length === 0
    ? html`<p>No incidents.</p>`
    : html`<table><thead><tr><th scope="col">Incident</th><th scope="col">State</th><th scope="col">Discovered</th><th scope="col">Notify regulator by</th><th scope="col">Clock</th></tr></thead><tbody>${incidents.map(
        (i) => html`<tr class="urgency-${clockClass(i, now)}"><td><a href="/admin/incidents/${i.id}">${i.summary.slice(0, 60)}</a></td><td>${STATE_WORDS[i.state]}</td><td>${inZone(i.discoveredAt, i.zone)}</td><td>${inZone(i.notifyBy, i.zone)}</td><td><strong>${clockWords(i, now)}</strong></td></tr>`,
      )}</tbody></table>`}
  ${openForm(csrf, s)}
</section>`;
}

function countsTable(incident: Incident): Html {
  const counts = Object.entries(incident.affectedCounts ?? {});
  if (!incident.affectedAt) return html`<p>Not yet looked for.</p>`;
  return html`<p>${String(incident.affectedUnits?.length ?? 0)} subjects (records kept under their own key: accounts, orders, tickets), found ${inZone(incident.affectedAt, incident.zone)}.</p>
  ${counts.length === 0
    ? html`<p>No subject’s data of these kinds was disclosed or read in the window.</p>`
    : html`<table><thead><tr><th scope="col">Data category</th><th scope="col">Subjects</th><th scope="col">Records</th></tr></thead><tbody>${counts.map(
        ([category, c]) => html`<tr><td>${categoryLabel(category)}</td><td>${String(c.subjects)}</td><td>${String(c.records)}</td></tr>`,
      )}</tbody></table>`}`;
}

export function incidentPage(incident: Incident, steps: readonly IncidentStep[], notices: readonly IncidentNotice[], now: Date, csrf: Html, s: FormState = {}): Html {
  const next = nextStates(incident.state);
  const written = notices.filter((n) => n.outboxId).length;
  return html`<section class="admin incident">
  <h1>Incident: ${STATE_WORDS[incident.state]}</h1>
  ${formError(s.message)}
  <p class="clock urgency-${clockClass(incident, now)}">Notify the regulator by <strong>${inZone(incident.notifyBy, incident.zone)}</strong>: <strong>${clockWords(incident, now)}</strong>.</p>
  <dl>
    <dt>Reference</dt><dd>${incident.id}</dd>
    <dt>What happened</dt><dd>${incident.summary}</dd>
    <dt>Likely consequences</dt><dd>${incident.consequences}</dd>
    <dt>Data affected</dt><dd>${incident.columns.join(', ')}</dd>
    <dt>Processors</dt><dd>${incident.processors.length > 0 ? incident.processors.join(', ') : '—'}</dd>
    <dt>Staff accounts</dt><dd>${incident.staffIds.length > 0 ? incident.staffIds.join(', ') : '—'}</dd>
    <dt>Window</dt><dd>${inZone(incident.windowStart, incident.zone)} – ${inZone(incident.windowEnd, incident.zone)}</dd>
    <dt>Discovered</dt><dd>${inZone(incident.discoveredAt, incident.zone)}</dd>
  </dl>
  <h2>Affected subjects</h2>
  ${countsTable(incident)}
  <form method="post" action="/admin/incidents/${incident.id}/affected">${csrf}<button type="submit" class="secondary">Find the affected subjects</button></form>
  ${(incident.affectedUnits?.length ?? 0) > 0 ? subjectForm(incident, csrf, s) : ''}
  <h2>Notices</h2>
  <p>${String(written)} customers written to${notices.length > written ? html` (${String(notices.length - written)} more records shared an address or had none left)` : ''}.
    <a href="/admin/incidents/${incident.id}/notices">Preview and send the customer notice</a> ·
    <a href="/admin/incidents/${incident.id}/report">Regulator report (printable)</a></p>
  ${next.length > 0
    ? html`<h2>Next step</h2>
  <form class="stacked" method="post" action="/admin/incidents/${incident.id}/advance" novalidate>
    ${csrf}
    <div class="field${s.errors?.to ? ' has-error' : ''}">
      <label for="f-to">Move to</label>
      <select id="f-to" name="to">${next.map((state) => html`<option value="${state}"${s.values?.to === state ? html` selected` : ''}>${STATE_WORDS[state]}</option>`)}</select>
      ${s.errors?.to ? html`<span class="error">${s.errors.to}</span>` : ''}
    </div>
    ${textArea('note', 'What was done', s, 'The measures taken, the regulator’s reference… No personal data.')}
    <button type="submit">Record the step</button>
  </form>`
    : ''}
  <h2>Trail</h2>
  <table><thead><tr><th scope="col">When</th><th scope="col">Step</th><th scope="col">By</th><th scope="col">Note</th></tr></thead><tbody>${steps.map(
    (step) => html`<tr><td>${inZone(step.at, incident.zone)}</td><td>${STEP_WORDS[step.step] ?? step.step}</td><td>${step.staffId ?? 'operator'}</td><td>${step.note ?? ''}</td></tr>`,
  )}</tbody></table>
</section>`;
}

/** Shown only affected units' ids; opening one is a deliberate, audited read with a reason. */
function subjectForm(incident: Incident, csrf: Html, s: FormState): Html {
  const units = incident.affectedUnits ?? [];
  const shown = units.slice(0, SUBJECTS_LISTED);
  return html`<details${s.errors?.unitId || s.errors?.reason ? html` open` : ''}><summary>Open one subject’s data</summary>
  <p class="note">The finder shows counts only. Opening a subject reads their data for the legal obligation: it is written to the audit trail, and your reason to the incident’s trail.</p>
  <form class="stacked" method="post" action="/admin/incidents/${incident.id}/subjects" novalidate>
    ${csrf}
    <div class="field${s.errors?.unitId ? ' has-error' : ''}">
      <label for="f-unitId">Subject (record key)</label>
      <select id="f-unitId" name="unitId">${shown.map((unitId) => html`<option value="${unitId}"${s.values?.unitId === unitId ? html` selected` : ''}>${unitId}</option>`)}</select>
      ${units.length > shown.length ? html`<span class="hint">The first ${String(SUBJECTS_LISTED)} of ${String(units.length)}.</span>` : ''}
      ${s.errors?.unitId ? html`<span class="error">${s.errors.unitId}</span>` : ''}
    </div>
    ${textArea('reason', 'Why you open it', s, 'E.g. to check what a notice must say. No personal data.')}
    <button type="submit" class="secondary">Open this subject’s data</button>
  </form>
</details>`;
}

const SUBJECTS_LISTED = 500;

const FIELD_WORDS: Record<string, string> = { name: 'Name', recipientName: 'Recipient', email: 'E-mail', phone: 'Phone', shippingAddress: 'Delivery address', orderNumber: 'Order' };

export function subjectPage(incident: Incident, subject: OpenedSubject): Html {
  return html`<section class="admin incident-subject">
  <h1>Affected subject</h1>
  <p><a href="/admin/incidents/${incident.id}">Back to the incident</a></p>
  <p class="note">This read is in the audit trail, and your reason in the incident’s trail. Nothing here is kept on the incident.</p>
  <h2>${subject.label}</h2>
  <dl>${Object.entries(subject.values).map(([field, value]) => html`<dt>${FIELD_WORDS[field] ?? field}</dt><dd>${value}</dd>`)}</dl>
</section>`;
}

export function noticePage(incident: Incident, mail: { subject: string; text: string }, notices: readonly IncidentNotice[], csrf: Html): Html {
  const pending = (incident.affectedUnits ?? []).filter((unitId) => !notices.some((n) => n.unitId === unitId)).length;
  return html`<section class="admin incident-notice">
  <h1>Customer notice</h1>
  <p><a href="/admin/incidents/${incident.id}">Back to the incident</a></p>
  <p>Each affected customer receives this message once, by e-mail, sealed under their own key.</p>
  <h2>Subject: ${mail.subject}</h2>
  <pre class="mail-preview">${mail.text}</pre>
  ${!incident.affectedAt
    ? html`<p>Find the affected subjects first.</p>`
    : html`<form method="post" action="/admin/incidents/${incident.id}/notices">${csrf}<button type="submit"${pending === 0 ? html` disabled` : ''}>Send to ${String(pending)} records not yet notified</button></form>`}
  <h2>Sent</h2>
  ${notices.length === 0
    ? html`<p>No one yet.</p>`
    : html`<table><thead><tr><th scope="col">Record (unit)</th><th scope="col">When</th><th scope="col">By</th><th scope="col">Message</th></tr></thead><tbody>${notices.map(
        (n) => html`<tr><td>${n.unitId}</td><td>${inZone(n.notifiedAt, incident.zone)}</td><td>${n.staffId ?? 'operator'}</td><td>${n.outboxId ? 'sent' : 'covered by another record’s message, or no address left'}</td></tr>`,
      )}</tbody></table>`}
</section>`;
}

/** Steps that are the handling of the incident, not measures taken: an opened subject names their record. */
const NOT_MEASURES = new Set(['triage', 'affected', 'subject_opened']);

/** The regulator's report (GDPR Art. 33(3)), a page that prints. */
export function reportPage(incident: Incident, steps: readonly IncidentStep[], shop: { name: string; contactEmail: string; contactPhone: string }, now: Date): Html {
  const counts = Object.entries(incident.affectedCounts ?? {});
  const records = counts.reduce((sum, [, c]) => sum + c.records, 0);
  const measures = steps.filter((s) => !NOT_MEASURES.has(s.step));
  return html`<article class="incident-report">
  <h1>Personal data breach notification</h1>
  <p>Controller: ${shop.name}. Prepared ${inZone(now, incident.zone)}. Reference ${incident.id}.</p>
  <h2>Nature of the breach</h2>
  <p>${incident.summary}</p>
  <p>Window: ${inZone(incident.windowStart, incident.zone)} – ${inZone(incident.windowEnd, incident.zone)}. Discovered ${inZone(incident.discoveredAt, incident.zone)}; notification due by ${inZone(incident.notifyBy, incident.zone)}.</p>
  <h2>Categories and approximate numbers</h2>
  ${!incident.affectedAt
    ? html`<p>Not yet established.</p>`
    : html`<p>Approximately ${String(incident.affectedUnits?.length ?? 0)} data subjects and ${String(records)} records concerned.</p>
  <table><thead><tr><th scope="col">Category of personal data</th><th scope="col">Data subjects</th><th scope="col">Records</th></tr></thead><tbody>${counts.map(
    ([category, c]) => html`<tr><td>${categoryLabel(category)}</td><td>${String(c.subjects)}</td><td>${String(c.records)}</td></tr>`,
  )}</tbody></table>`}
  <h2>Likely consequences</h2>
  <p>${incident.consequences}</p>
  <h2>Measures taken or proposed</h2>
  ${measures.length === 0 ? html`<p>None recorded yet.</p>` : html`<ul>${measures.map((s) => html`<li>${inZone(s.at, incident.zone)}: ${STEP_WORDS[s.step] ?? s.step}. ${s.note ?? ''}</li>`)}</ul>`}
  <h2>Contact</h2>
  <p>${shop.name}, ${shop.contactEmail}, ${shop.contactPhone}</p>
</article>`;
}
