import { html, type Html } from '../http/html.ts';

export type MailboxEntry = { id: string; to: string; subject: string; date: Date };

export function mailboxPage(entries: MailboxEntry[], csrf: Html): Html {
  return html`<section class="mailbox">
  <h1>Dev mailbox</h1>
  <p class="note">Development only: with no SMTP server configured, every e-mail the shop sends is kept here instead.</p>
  ${entries.length === 0
    ? html`<p>No messages yet.</p>`
    : html`<table>
    <caption>${entries.length} ${entries.length === 1 ? 'message' : 'messages'}, newest first</caption>
    <thead><tr><th scope="col">Received</th><th scope="col">To</th><th scope="col">Subject</th></tr></thead>
    <tbody>${entries.map(
      (e) => html`<tr><td><time datetime="${e.date.toISOString()}">${e.date.toISOString().replace('T', ' ').slice(0, 16)}</time></td><td>${e.to}</td><td><a href="/dev/mailbox/${e.id}">${e.subject}</a></td></tr>`,
    )}</tbody>
  </table>
  <form method="post" action="/dev/mailbox/clear">${csrf}<button type="submit">Delete all messages</button></form>`}
</section>`;
}

export function messagePage(entry: MailboxEntry & { text: string }): Html {
  return html`<article class="mail-message">
  <p><a href="/dev/mailbox">← Dev mailbox</a></p>
  <h1>${entry.subject}</h1>
  <dl>
    <dt>To</dt><dd>${entry.to}</dd>
    <dt>Date</dt><dd><time datetime="${entry.date.toISOString()}">${entry.date.toUTCString()}</time></dd>
  </dl>
  <pre class="mail-body">${linkify(entry.text)}</pre>
  <p><a href="/dev/mailbox/${entry.id}/raw">Download the .eml file</a></p>
</article>`;
}

// Links in the message become clickable, as in a mail client, so one-time links can be followed from here.
function linkify(text: string): Html[] {
  return text.split(/(https?:\/\/[^\s<>"]+)/g).map((part, i) => (i % 2 === 1 ? html`<a href="${part}">${part}</a>` : html`${part}`));
}
