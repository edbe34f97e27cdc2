import type { FieldErrors } from '../../platform/http/errors.ts';
import { field, formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { REQUEST_KINDS, type RequestKind } from './schema.ts';
import { runnable, type QueueEntry, type QueueFilter } from './service.ts';
import type { Urgency } from './sla.ts';

// The privacy officer's queue: every request with its business-day deadline, coloured by urgency. Nothing here is
// personal: a request shows whether it concerns an account or a guest's address, never who.

const KIND_WORDS: Record<RequestKind, string> = { access: 'Copy', erasure: 'Erasure', minor: 'Suspected minor' };
const URGENCY_WORDS: Record<Urgency, string> = { done: 'done', overdue: 'OVERDUE', due_soon: 'due soon', past_target: 'past target', on_track: 'on track' };

const day = (at: Date | null) => (at ? at.toISOString().slice(0, 10) : '—');
const subjectWords = (r: QueueEntry) => (r.customerId ? 'an account' : r.emailIndex ? 'a guest’s address' : 'forgotten (case closed)');

export function queuePage(entries: readonly QueueEntry[], filter: QueueFilter, csrf: Html, s: MinorFormState = {}): Html {
  return html`<section class="admin privacy-queue">
  <h1>Privacy requests</h1>
  <p>Target 7 business days, due 15 (US holidays); a minor’s case is due in 1. Most requests complete by themselves; the open ones here need a person.</p>
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

export function requestPage(r: QueueEntry, csrf: Html, s: { message?: string; errors?: FieldErrors } = {}): Html {
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
  ${!r.completedAt && r.status !== 'refused'
    ? html`<form class="stacked" method="post" action="/admin/privacy/${r.id}/refuse" novalidate>${csrf}
    ${field({ name: 'note', label: 'Reason for refusing', error: s.errors?.note })}
    <button type="submit" class="secondary">Refuse</button></form>`
    : ''}
  <p><a href="/admin/privacy">Back to the queue</a></p>
</section>`;
}
