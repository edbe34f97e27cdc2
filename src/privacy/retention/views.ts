import type { FieldErrors } from '../../platform/http/errors.ts';
import { field, formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import type { Hold } from './holds.ts';
import { describeSpan } from './rules.ts';
import type { retentionSweeps } from './schema.ts';
import type { DerivedCopy, KindCensus } from './sweep.ts';

// The privacy officer's view of retention: every kind with its rule and what the database holds of it, the sweeps
// that ran, and the legal holds. Nothing here names anyone: counts, dates, order numbers and ticket references.

const day = (at: Date | null) => (at ? at.toISOString().slice(0, 10) : '—');
type Sweep = typeof retentionSweeps.$inferSelect;

export function retentionPage(census: readonly KindCensus[], sweeps: readonly Sweep[], copies: readonly DerivedCopy[], csrf: Html, queued = false): Html {
  return html`<section class="admin retention">
  <h1>Retention</h1>
  ${queued ? html`<p class="notice" role="status">A sweep has been queued; it shows below when it starts.</p>` : ''}
  <p>Each kind of data is kept at least its minimum and swept by its maximum, counted from the event named. The sweep runs every night at 03:15 UTC; units under a <a href="/admin/privacy/holds">legal hold</a> wait.</p>
  <table><thead><tr><th scope="col">Kind</th><th scope="col">Clock starts at</th><th scope="col">Minimum</th><th scope="col">Maximum</th><th scope="col">Held now</th><th scope="col">By age</th><th scope="col">Past maximum</th><th scope="col">Under legal hold</th><th scope="col">Next expiry</th></tr></thead><tbody>${census.map(
    (c) => html`<tr${c.overdue > 0 ? html` class="urgency-overdue"` : ''}><th scope="row">${c.kind.replaceAll('_', ' ')}</th><td>${c.rule.startsAt}</td><td>${c.rule.minimum ? describeSpan(c.rule.minimum) : 'none'}</td><td>${c.rule.maximum ? describeSpan(c.rule.maximum) : '—'}</td><td>${String(c.total)}${c.notStarted > 0 ? html` (${String(c.notStarted)} not started)` : ''}</td><td>${c.byAge.filter((b) => b.count > 0).map((b) => html`${b.label}: ${String(b.count)}<br>`)}</td><td>${String(c.overdue)}</td><td>${String(c.held)}</td><td>${day(c.nextExpiry)}</td></tr>`,
  )}</tbody></table>
  <form method="post" action="/admin/privacy/retention/sweep">${csrf}<button type="submit">Sweep now</button></form>
  <h2>Other copies, deleted when they expire</h2>
  <ul>${copies.map((c) => html`<li>${c.label}</li>`)}</ul>
  <h2>Recent sweeps</h2>
  ${sweeps.length === 0
    ? html`<p>No sweep has run yet.</p>`
    : html`<table><thead><tr><th scope="col">Started</th><th scope="col">By</th><th scope="col">Status</th><th scope="col">Batches</th><th scope="col">What went</th></tr></thead><tbody>${sweeps.map(
        (s) => html`<tr><td>${s.startedAt.toISOString().slice(0, 16).replace('T', ' ')}</td><td>${s.trigger === 'cli' ? 'command line' : 'nightly job'}</td><td>${s.status}${s.error ? html` (${s.error})` : ''}</td><td>${String(s.batches)}</td><td>${Object.entries(s.counts).filter(([, n]) => n > 0).map(([step, n]) => `${step} ${n}`).join(', ') || 'nothing due'}</td></tr>`,
      )}</tbody></table>`}
</section>`;
}

export type HoldFormState = { errors?: FieldErrors; values?: Record<string, string>; message?: string };

export function holdsPage(holds: readonly (Hold & { label: string })[], csrf: Html, s: HoldFormState = {}): Html {
  const active = holds.filter((h) => !h.releasedAt);
  const released = holds.filter((h) => h.releasedAt);
  return html`<section class="admin holds">
  <h1>Legal holds</h1>
  <p>A hold keeps an order, a ticket or an account past its retention maximum while a dispute or an authority’s inquiry needs it. Release it when the matter closes: the next sweep then takes what is past its maximum.</p>
  ${formError(s.message)}
  <form class="stacked" method="post" action="/admin/privacy/holds" novalidate>
    ${csrf}
    ${field({ name: 'reference', label: 'Order number, ticket reference or customer e-mail', value: s.values?.reference, error: s.errors?.reference })}
    ${field({ name: 'matter', label: 'Matter (a case or authority reference; no personal details)', value: s.values?.matter, error: s.errors?.matter })}
    <button type="submit">Place hold</button>
  </form>
  <h2>Active holds</h2>
  ${active.length === 0
    ? html`<p>No active holds.</p>`
    : html`<table><thead><tr><th scope="col">Held</th><th scope="col">Matter</th><th scope="col">Since</th><th scope="col"><span class="visually-hidden">Release</span></th></tr></thead><tbody>${active.map(
        (h) => html`<tr><td>${h.label}</td><td>${h.matter}</td><td>${day(h.placedAt)}</td><td><form method="post" action="/admin/privacy/holds/${h.id}/release">${csrf}<button type="submit" class="secondary">Release</button></form></td></tr>`,
      )}</tbody></table>`}
  ${released.length === 0
    ? ''
    : html`<h2>Released</h2><table><thead><tr><th scope="col">Held</th><th scope="col">Matter</th><th scope="col">From</th><th scope="col">To</th></tr></thead><tbody>${released.map(
        (h) => html`<tr><td>${h.label}</td><td>${h.matter}</td><td>${day(h.placedAt)}</td><td>${day(h.releasedAt)}</td></tr>`,
      )}</tbody></table>`}
</section>`;
}
