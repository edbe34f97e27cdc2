import type { FieldErrors } from '../../platform/http/errors.ts';
import { field, formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { REQUEST_KINDS, type RequestKind } from './schema.ts';
import type { RequestActionKind } from './schema.ts';
import { runnable, type QueueEntry, type QueueFilter, type RequestActionRecord } from './service.ts';
import { MAX_EXTENSION_DAYS, slaWords, type RequestSla, type Urgency } from './sla.ts';

// The privacy officer's queue: every request with its business-day deadline, coloured by urgency. Nothing here is
// personal: a request shows whether it concerns an account or a guest's address, never who.

const KIND_WORDS: Record<RequestKind, string> = { access: 'Copy', erasure: 'Erasure', minor: 'Suspected minor' };
const URGENCY_WORDS: Record<Urgency, string> = { done: 'done', overdue: 'OVERDUE', due_soon: 'due soon', past_target: 'past target', on_track: 'on track' };

const day = (at: Date | null) => (at ? at.toISOString().slice(0, 10) : '—');
const subjectWords = (r: QueueEntry) => (r.customerId ? 'an account' : r.emailIndex ? 'a guest’s address' : 'forgotten (case closed)');

export function queuePage(entries: readonly QueueEntry[], filter: QueueFilter, sla: RequestSla, csrf: Html, s: MinorFormState = {}): Html {
  return html`<section class="admin privacy-queue">
  <h1>Privacy requests</h1>
  <p class="sla-profile">Deadlines: <strong>${sla.profile}</strong> profile, holidays of <strong>${sla.country}</strong> — ${slaWords(sla)}; a minor’s case is due in 1. Most requests complete by themselves; the open ones here need a person.</p>
  <form method="get" action="/admin/privacy" class="filters">
    <label for="f-kind">Type</label>
    <select id="f-kind" name="kind"><option value="">All</option>${REQUEST_KINDS.map((k) => html`<option value="${k}"${filter.kind === k ? html` selected` : ''}>${KIND_WORDS[k]}</option>`)}</select>
    <label><input type="checkbox" name="open" value="1"${filter.open ? html` checked` : ''}> Open only</label>
    <button type="submit" class="secondary">Filter</button>
  </form>
  ${entries.length === 0
    ? html`<p>No requests.</p>`
    : html`<table><thead><tr><th scope="col">Type</th><th scope="col">Subject</th><th scope="col">Status</th><th scope="col">Received</th><th scope="col">Verified</th><th scope="col">Due</th><th scope="col">Business days left</th></tr></thead><tbody>${entries.map(
        (r) => html`<tr class="urgency-${r.urgency}"><td><a href="/admin/privacy/${r.id}">${KIND_WORDS[r.kind]}</a></td><td>${subjectWords(r)}</td><td>${r.status.replaceAll('_', ' ')}</td><td>${day(r.receivedAt)}</td><td>${day(r.verifiedAt)}</td><td>${day(r.dueAt)}</td><td>${r.completedAt ? '—' : String(r.daysLeft)} <strong>${URGENCY_WORDS[r.urgency]}</strong></td></tr>`,
      )}</tbody></table>`}
  ${minorForm(csrf, s)}
</section>`;
}

type MinorFormState = { errors?: FieldErrors; values?: Record<string, string> };

function minorForm(csrf: Html, s: MinorFormState): Html {
  return html`<h2>Flag a suspected minor</h2>
  <p>The person behind the order is reviewed by the privacy officer; once confirmed, everything about them is erased within 1 business day, orders included.</p>
  <form class="stacked" method="post" action="/admin/privacy/minors" novalidate>
    ${csrf}
    ${field({ name: 'orderNumber', label: 'Order number', value: s.values?.orderNumber, error: s.errors?.orderNumber })}
    ${field({ name: 'note', label: 'Why (no personal data)', value: s.values?.note, error: s.errors?.note })}
    <button type="submit">Flag</button>
  </form>`;
}

/** For staff other than the privacy officer (support): the flag form alone, or the word that it was received. */
export function minorPage(csrf: Html, s: MinorFormState & { flagged?: boolean } = {}): Html {
  return html`<section class="admin">
  ${s.flagged ? html`<p class="notice" role="status">Thank you: the privacy officer reviews the case within 1 business day.</p>` : ''}
  ${minorForm(csrf, s)}
</section>`;
}

const ACTION_WORDS: Record<RequestActionKind, string> = {
  paused_for_identity: 'Paused: asked the person to prove who they are',
  identity_confirmed: 'Identity confirmed, request resumed',
  extended: 'Due date extended',
  refused: 'Refused',
  run: 'Run',
};

type RequestPageState = { message?: string; errors?: FieldErrors; values?: Record<string, string>; form?: string };

export function requestPage(r: QueueEntry, actions: readonly RequestActionRecord[], csrf: Html, s: RequestPageState = {}): Html {
  const open = !r.completedAt && r.status !== 'refused';
  const mine = (form: string) => (s.form === form ? { errors: s.errors ?? {}, values: s.values ?? {} } : { errors: {} as FieldErrors, values: {} as Record<string, string> });
  const pause = mine('pause');
  const extend = mine('extend');
  const refuse = mine('refuse');
  const extended = actions.some((a) => a.action === 'extended');
  return html`<section class="admin privacy-request">
  <h1>${KIND_WORDS[r.kind]} request</h1>
  ${formError(s.message)}
  <dl>
    <dt>Reference</dt><dd>${r.id}</dd>
    <dt>Subject</dt><dd>${subjectWords(r)}</dd>
    <dt>Status</dt><dd>${r.status.replaceAll('_', ' ')}</dd>
    <dt>Received</dt><dd>${day(r.receivedAt)}</dd>
    <dt>Target</dt><dd>${day(r.targetAt)}</dd>
    <dt>Due</dt><dd class="urgency-${r.urgency}">${day(r.dueAt)} (${URGENCY_WORDS[r.urgency]})</dd>
    <dt>Completed</dt><dd>${day(r.completedAt)}</dd>
    ${r.note ? html`<dt>Note</dt><dd>${r.note}</dd>` : ''}
  </dl>
  ${r.outcome
    ? html`<h2>Outcome</h2><ul>${r.outcome.erased.map((e) => html`<li>Erased: ${e.label} (${e.count})</li>`)}${r.outcome.held.map((h) => html`<li>Held until ${h.until}: ${h.label} (${h.count}) — ${h.why}</li>`)}</ul>`
    : ''}
  ${runnable(r)
    ? html`<form method="post" action="/admin/privacy/${r.id}/run">${csrf}<button type="submit">${r.kind === 'minor' ? 'Confirm and erase everything' : 'Run the erasure'}</button></form>`
    : ''}
  ${open && r.status === 'received' && r.kind !== 'minor'
    ? html`<h2>Pause for identity verification</h2>
    <p>We write to the person asking for what you name here. The deadline keeps running while we wait: pausing does not move the due date.</p>
    <form class="stacked" method="post" action="/admin/privacy/${r.id}/pause" novalidate>${csrf}
    ${field({ name: 'needed', label: 'What the person must send (no personal data)', value: pause.values.needed, error: pause.errors.needed })}
    <button type="submit" class="secondary">Pause and write to the person</button></form>`
    : ''}
  ${open && r.status === 'awaiting_identity'
    ? html`<form method="post" action="/admin/privacy/${r.id}/resume">${csrf}<button type="submit">Identity confirmed: resume</button></form>`
    : ''}
  ${open && !extended
    ? html`<h2>Extend the due date</h2>
    <p>Once per request, never past 15 business days from receipt (the privacy policy’s promise) or the profile’s limit if sooner. We write to the person why, and the new date.</p>
    <form class="stacked" method="post" action="/admin/privacy/${r.id}/extend" novalidate>${csrf}
    ${field({ name: 'days', label: `Business days (1 to ${MAX_EXTENSION_DAYS})`, value: extend.values.days, error: extend.errors.days, inputmode: 'numeric' })}
    ${field({ name: 'reason', label: 'Reason, told to the person (no personal data)', value: extend.values.reason, error: extend.errors.reason })}
    <button type="submit" class="secondary">Extend</button></form>`
    : ''}
  ${open
    ? html`<h2>Refuse</h2><form class="stacked" method="post" action="/admin/privacy/${r.id}/refuse" novalidate>${csrf}
    ${field({ name: 'note', label: 'Reason for refusing', value: refuse.values.note, error: refuse.errors.note })}
    <button type="submit" class="secondary">Refuse</button></form>`
    : ''}
  ${actions.length > 0
    ? html`<h2>What staff did</h2><table><thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">By</th><th scope="col">Note</th><th scope="col">Due after</th></tr></thead><tbody>${actions.map(
        (a) => html`<tr><td>${a.at.toISOString().slice(0, 16).replace('T', ' ')}</td><td>${ACTION_WORDS[a.action]}</td><td>${a.staffId ?? 'operator (command line)'}</td><td>${a.note ?? ''}</td><td>${day(a.dueAt)}</td></tr>`,
      )}</tbody></table>`
    : ''}
  <p><a href="/admin/privacy">Back to the queue</a></p>
</section>`;
}
