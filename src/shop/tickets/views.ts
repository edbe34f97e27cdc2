import type { FieldErrors } from '../../platform/http/errors.ts';
import { field, formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { PURPOSES } from '../../privacy/inventory.ts';
import { isErased, type Erased } from '../../privacy/vault/service.ts';
import { radioGroup, selectField, textArea, when } from '../backoffice/views.ts';
import { CENTER_NOTICES, guestCodePage } from '../privacy-center/views.ts';
import { REMOVALS, type Removal } from './redaction.ts';
import { PRIVACY_WISHES, TICKET_STATUSES, TICKET_TOPICS, type Ticket, type TicketStatus } from './schema.ts';
import {
  CANNED_REPLIES,
  DESK_PURPOSES,
  keptAtLeastUntil,
  MESSAGE_MAX,
  STATUS_LABELS,
  TOPIC_LABELS,
  WISH_LABELS,
  type Sent,
  type StaffTicket,
  type Thread,
  type ThreadMessage,
  type TicketSummary,
} from './service.ts';

// The contact form, the customer's conversations (in their account, or through a pass for guests), and the
// desk's queue and ticket page. Internal notes appear only on the desk's page.

export type FormState = { values?: Record<string, string>; errors?: FieldErrors; message?: string | undefined };

const CUSTOMER_STATUS: Record<TicketStatus, string> = { open: 'We are on it', waiting: 'We answered', closed: 'Closed' };

/** The topic, and for a privacy question what it asks for. */
const about = (t: Pick<Ticket, 'topic' | 'privacyWish'>) => (t.privacyWish ? `${TOPIC_LABELS[t.topic]}: ${WISH_LABELS[t.privacyWish].toLowerCase()}` : TOPIC_LABELS[t.topic]);

const body = (text: string | Erased) => (isErased(text) ? html`<p class="note">This message has been erased.</p>` : html`<div class="mail-body">${text}</div>`);

/** Why parts of a message are missing: told to the customer beside their message. */
export function removalNotice(removed: readonly Removal[]): Html {
  if (removed.length === 0) return html``;
  return html`<div class="notice" role="status">${removed.map((r) => html`<p>${REMOVALS[r].why} Please never send card or ID numbers by message.</p>`)}</div>`;
}

export type ContactDetails = { email: string; phone: string };

export function contactPage(csrf: Html, contact: ContactDetails, state: FormState = {}): Html {
  const v = state.values ?? {};
  const e = state.errors ?? {};
  return html`<section class="contact">
  <h1>Contact us</h1>
  <p>Write to us here, or e-mail <a href="mailto:${contact.email}">${contact.email}</a>, or call
    <a href="tel:${contact.phone.replace(/[^+0-9]/g, '')}">${contact.phone}</a>. We answer by e-mail.</p>
  <p class="note">Please never send card numbers, security codes or ID numbers: we never need them, and we remove them before your message is saved.</p>
  ${formError(state.message ?? e._)}
  <form class="stacked" method="post" action="/contact" novalidate>
    ${csrf}
    ${field({ name: 'name', label: 'Your name', value: v.name, error: e.name, autocomplete: 'name' })}
    ${field({ name: 'email', label: 'Your e-mail address', type: 'email', value: v.email, error: e.email, autocomplete: 'email', hint: 'We answer to this address.' })}
    ${selectField({ name: 'topic', label: 'What is it about?', value: v.topic, error: e.topic, placeholder: 'Choose a topic', options: TICKET_TOPICS.map((t) => ({ value: t, label: TOPIC_LABELS[t] })) })}
    ${radioGroup({
      name: 'privacyWish',
      label: 'For a privacy question: what would you like?',
      value: v.privacyWish,
      error: e.privacyWish,
      hint: 'A copy or deletion of your data goes through our privacy center: if you are not signed in, we first send a code to your address, so that only its owner can see or delete anything.',
      options: PRIVACY_WISHES.map((w) => ({ value: w, label: WISH_LABELS[w] })),
    })}
    ${field({ name: 'orderNumber', label: 'Order number (optional)', value: v.orderNumber, error: e.orderNumber, hint: 'Like P100001, from your order confirmation.' })}
    ${textArea({ name: 'message', label: 'Your message', value: v.message, error: e.message, hint: `Up to ${MESSAGE_MAX} characters.` })}
    <div class="visually-hidden" aria-hidden="true">
      <label for="f-website">Leave this field empty</label>
      <input id="f-website" name="website" type="text" tabindex="-1" autocomplete="off">
    </div>
    <button type="submit">Send the message</button>
  </form>
</section>`;
}

/** What a sender whose form tripped the bot trap sees: the same thanks, with nothing behind it. */
export function contactSentPage(): Html {
  return html`<section class="message"><h1>Thank you</h1><p>We received your message and will answer by e-mail.</p><p><a href="/">Back to the shop</a></p></section>`;
}

/**
 * A copy or deletion asked for by someone who has not proved the address theirs: the privacy center's own code page,
 * with the message's reference above it.
 */
export function contactCodePage(csrf: Html, sent: { reference: string; requestId: string }, ticketUrl: string, email: string): Html {
  return html`<p class="notice" role="status">Thank you: we received your message. Your reference is <strong>${sent.reference}</strong>
  (<a href="${ticketUrl}">see your message</a>). Before we show or delete anything, we check that the address is yours: enter the code from the e-mail we just sent you.</p>
${guestCodePage(csrf, sent.requestId, { values: { email } })}`;
}

function threadMessage(m: ThreadMessage): Html {
  const from = m.kind === 'customer' ? 'You wrote' : 'We replied';
  return html`<li>
    <p><strong>${from}</strong>, ${when(m.at)}</p>
    ${body(m.text)}
    ${m.kind === 'customer' ? removalNotice(m.removed) : ''}
  </li>`;
}

/** What a signed-in sender is told after sending, beyond the thanks: see `Sent`. */
export type SentNotice = Exclude<Sent['next'], 'code'>;

const SENT_NEXT: Record<SentNotice, Html | string> = {
  answer: '',
  copy: html` ${CENTER_NOTICES.copy} Your request is listed in <a href="/privacy-center">your privacy center</a>.`,
  deletion: html` Nothing has been deleted yet: deleting your account needs your password, so it is done in <a href="/privacy-center">your privacy center</a>.`,
};

export function threadPage(csrf: Html, thread: Thread, links: { reply: string; back?: { href: string; label: string } | undefined }, state: FormState & { sent?: SentNotice | undefined } = {}): Html {
  const { ticket, messages } = thread;
  const e = state.errors ?? {};
  return html`<section class="ticket">
  ${links.back ? html`<p><a href="${links.back.href}">${links.back.label}</a></p>` : ''}
  <h1>Your message ${ticket.reference}</h1>
  ${state.sent ? html`<p class="notice" role="status">Thank you: we received your message. Your reference is <strong>${ticket.reference}</strong>; a confirmation is on its way to your e-mail, and we will answer there.${SENT_NEXT[state.sent]}</p>` : ''}
  <p>${about(ticket)}${ticket.orderNumber ? html`, order ${ticket.orderNumber}` : ''}. Status: <strong>${CUSTOMER_STATUS[ticket.status]}</strong>.</p>
  <ol class="thread">${messages.map(threadMessage)}</ol>
  ${ticket.status === 'closed'
    ? html`<p>This conversation is closed. To ask something else, <a href="/contact">write to us again</a>.</p>`
    : html`<h2>Answer</h2>
  ${formError(state.message ?? e._)}
  <form class="stacked" method="post" action="${links.reply}" novalidate>
    ${csrf}
    ${textArea({ name: 'message', label: 'Your answer', value: state.values?.message, error: e.message })}
    <button type="submit">Send the answer</button>
  </form>`}
</section>`;
}

export function ticketListPage(rows: readonly TicketSummary[]): Html {
  return html`<section class="tickets">
  <p><a href="/account">Your account</a></p>
  <h1>Your messages</h1>
  ${rows.length === 0
    ? html`<p>You have not written to us yet. <a href="/contact">Contact us</a>.</p>`
    : html`<table>
    <thead><tr><th scope="col">Reference</th><th scope="col">About</th><th scope="col">Last activity</th><th scope="col">Status</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr><td><a href="/account/tickets/${r.reference}">${r.reference}</a></td><td>${about(r)}</td><td>${when(r.lastActivityAt)}</td><td>${CUSTOMER_STATUS[r.status]}</td></tr>`)}</tbody>
  </table>
  <p><a href="/contact">Write a new message</a></p>`}
</section>`;
}

export function linkInvalidPage(): Html {
  return html`<section class="message"><h1>This link no longer works</h1>
  <p>Each link in our e-mails works once and for 14 days. To answer us, use the link in our latest e-mail, or <a href="/contact">write to us again</a> with your reference.</p></section>`;
}

export function noticePage(title: string, text: string, link: { href: string; label: string }): Html {
  return html`<section class="message"><h1>${title}</h1><p>${text}</p><p><a href="${link.href}">${link.label}</a></p></section>`;
}

// ── the desk ────────────────────────────────────────────────────────────────────────────────────────────────────

const assignee = (assignedTo: string | null, staffId: string) => (assignedTo === null ? 'Nobody' : assignedTo === staffId ? 'You' : 'Someone else');

export function queuePage(rows: readonly TicketSummary[], status: TicketStatus, staffId: string): Html {
  return html`<section class="admin">
  <h1>Customer service</h1>
  <nav aria-label="Ticket status"><ul>${TICKET_STATUSES.map((s) => html`<li><a href="/admin/support/tickets?status=${s}"${s === status ? html` aria-current="page"` : ''}>${STATUS_LABELS[s]}</a></li>`)}</ul></nav>
  <h2>${STATUS_LABELS[status]}</h2>
  ${rows.length === 0
    ? html`<p>No tickets here.</p>`
    : html`<table>
    <thead><tr><th scope="col">Ticket</th><th scope="col">Topic</th><th scope="col">Desk</th><th scope="col">Opened</th><th scope="col">Last activity</th><th scope="col">Assigned</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr><td><a href="/admin/support/tickets/${r.reference}">${r.reference}</a></td><td>${about(r)}</td><td>${r.desk === 'privacy_officer' ? 'Privacy officer' : 'Support'}</td><td>${when(r.openedAt)}</td><td>${when(r.lastActivityAt)}</td><td>${assignee(r.assignedTo, staffId)}</td></tr>`)}</tbody>
  </table>`}
</section>`;
}

function deskMessage(m: ThreadMessage): Html {
  const from = m.kind === 'customer' ? 'Customer' : m.kind === 'reply' ? 'Reply sent' : 'Internal note (never shown to the customer)';
  return html`<li class="${m.kind}">
    <p><strong>${from}</strong>, ${when(m.at)}${m.removed.length > 0 ? html` <span class="note">(removed: ${m.removed.map((r) => REMOVALS[r].marker).join(', ')})</span>` : ''}</p>
    ${body(m.text)}
  </li>`;
}

/** Where a copy or deletion asked for in the message went: the privacy-center request, or the customer's own privacy center. */
function privacyRequestNote(ticket: Ticket): Html | string {
  if (ticket.privacyRequestId) return html` — <a href="/admin/privacy/${ticket.privacyRequestId}">its privacy request</a>`;
  if (ticket.privacyWish === 'deletion') return ' — the customer was sent to their privacy center, where their password confirms the deletion of the account';
  return '';
}

export function staffTicketPage(csrf: Html, detail: StaffTicket, staffId: string, state: FormState & { canned?: string | undefined } = {}): Html {
  const { ticket, messages, orderNumber, contact } = detail;
  const base = `/admin/support/tickets/${ticket.reference}`;
  const e = state.errors ?? {};
  const canned = state.canned ? CANNED_REPLIES[state.canned as keyof typeof CANNED_REPLIES]?.text : undefined;
  const shown = (value: string | Erased) => (isErased(value) ? 'Erased' : value);
  return html`<section class="admin">
  <p><a href="/admin/support/tickets?status=${ticket.status}">${STATUS_LABELS[ticket.status]} tickets</a></p>
  <h1>Ticket ${ticket.reference}</h1>
  <dl>
    <dt>Topic</dt><dd>${TOPIC_LABELS[ticket.topic]}${ticket.desk === 'privacy_officer' ? ' — for the privacy officer' : ''}</dd>
    ${ticket.privacyWish ? html`<dt>Asked for</dt><dd>${WISH_LABELS[ticket.privacyWish]}${privacyRequestNote(ticket)}</dd>` : ''}
    <dt>Status</dt><dd>${STATUS_LABELS[ticket.status]}</dd>
    <dt>Opened</dt><dd>${when(ticket.openedAt)}</dd>
    ${ticket.closedAt ? html`<dt>Closed</dt><dd>${when(ticket.closedAt)}; kept at least until ${when(keptAtLeastUntil(ticket.closedAt))}</dd>` : ''}
    <dt>Order</dt><dd>${orderNumber ? html`<a href="/admin/orders/${orderNumber}">${orderNumber}</a>` : ticket.orderNumber ? `${ticket.orderNumber} (no such order)` : 'None given'}</dd>
    <dt>Assigned</dt><dd>${assignee(ticket.assignedTo, staffId)}</dd>
  </dl>
  ${ticket.assignedTo === staffId ? '' : html`<form method="post" action="${base}/assign">${csrf}<button type="submit" class="secondary">Assign to me</button></form>`}
  <h2>Sender</h2>
  ${contact
    ? html`<p class="note">This view is recorded (${PURPOSES[DESK_PURPOSES[ticket.desk]]}).</p><dl><dt>Name</dt><dd>${shown(contact.name)}</dd><dt>E-mail</dt><dd>${shown(contact.email)}</dd></dl>`
    : html`<form method="post" action="${base}/contact">${csrf}<p class="note">Opening the sender’s name and e-mail is recorded: who, which ticket, why.</p><button type="submit" class="secondary">Show the sender’s details</button></form>`}
  <h2>Conversation</h2>
  <p class="note">Reading this conversation is recorded (${PURPOSES[DESK_PURPOSES[ticket.desk]]}).</p>
  <ol class="thread">${messages.map(deskMessage)}</ol>
  ${formError(state.message ?? e._)}
  ${ticket.status === 'closed'
    ? html`<form method="post" action="${base}/reopen">${csrf}<button type="submit">Reopen the ticket</button></form>`
    : html`<h2>Reply</h2>
  <form method="get" action="${base}" class="inline">
    ${selectField({ name: 'canned', label: 'Start from a canned reply', value: state.canned, placeholder: 'Choose one', options: Object.entries(CANNED_REPLIES).map(([value, c]) => ({ value, label: c.label })) })}
    <button type="submit" class="secondary">Use it</button>
  </form>
  <form class="stacked" method="post" action="${base}/reply" novalidate>
    ${csrf}
    ${textArea({ name: 'message', label: 'Reply (sent to the customer by e-mail)', value: state.values?.message ?? canned, error: e.message })}
    <button type="submit">Send the reply</button>
  </form>
  <form class="stacked" method="post" action="${base}/note" novalidate>
    ${csrf}
    ${textArea({ name: 'note', label: 'Internal note (never shown to the customer)', value: state.values?.note, error: e.note })}
    <button type="submit" class="secondary">Add the note</button>
  </form>
  <form method="post" action="${base}/close">${csrf}<button type="submit" class="secondary">Close the ticket</button></form>`}
</section>`;
}
