import type { PolicySection } from './schema.ts';

// The prose of the policy's first version: everything both seed policies promise (000 §1–§10, 003 whole), in
// plain words, for this shop. Facts — categories, purposes, processors, retention, cookies, contact details,
// deadlines — are not written here: the page prints them from the code under the section they belong to.
// Paragraphs are separated by a blank line; a line starting with "- " is an item of a list.

/** The sections, in page order; each id is fixed, so later versions and the live facts find their place. */
export const SECTION_IDS = ['overview', 'collection', 'use', 'sharing', 'retention', 'security', 'cookies', 'minors', 'rights', 'changes', 'contact'] as const;
export type SectionId = (typeof SECTION_IDS)[number];

export function firstVersionSections(shopName: string): PolicySection[] {
  const text: Record<SectionId, [string, string]> = {
    overview: [
      'About this policy',
      `This policy explains how ${shopName} collects, uses, keeps and protects personal information, and what you can ask of us. It applies to everyone who uses this website: visitors who browse, registered users with an account, and customers who buy from us, with or without an account. It covers what we learn while you browse, when you register, when you order and when you contact us about an order or a return.

We handle personal information lawfully, openly and securely. We never sell it, and we never share it beyond what this policy describes without your permission.

The facts in this policy — what we collect, who receives it, how long we keep it — are printed from the same rules the shop runs on, so this page always says what the shop actually does.`,
    ],
    collection: [
      'What we collect',
      `We collect only what we need to run the shop and fill your orders:

- your account details: your name and e-mail address, and the password you choose (which we keep only in a form nobody can read);
- what an order needs: the contact e-mail, the delivery address, a phone number for the carrier if you give one, what you bought and what you paid;
- payment information limited to a token from our payment provider, the card brand and its last four digits: your card number goes straight to the payment provider and never reaches us;
- your messages to customer service and our answers;
- system data that keeps the service working and secure, such as your signed-in session.

We also count page and product views without identifying you: the time of the visit, the pages seen and the products viewed, to improve the layout of the website and the product suggestions. These counts are kept under a code that changes every day, so one day's visits cannot be linked to the next, and we never store your network address or browser details with them.

We do not set out to collect sensitive information. The list below shows what we never collect; if you write such details in a message, card numbers and identity numbers are removed before it is stored.`,
    ],
    use: [
      'What we use it for',
      `We use personal information only to provide, maintain and improve our service: to confirm, take payment for and deliver your order, to handle returns, refunds and other after-sales service, to answer your questions, to check that it really is you when you ask about your account or your data, to tell you about your orders, and to make the website work better.

Every time our staff or our systems read personal information they must give one of the purposes below, and each kind of information may only be read for the purposes listed beside it. We use it for nothing else. We send marketing e-mail only if you have asked for it.`,
    ],
    sharing: [
      'Who receives it',
      `We share personal information only where an order cannot be completed without it, or where the law requires it:

- our payment provider, to take payment;
- our delivery company, to bring you your parcel;
- our e-mail delivery service, to send you e-mail about your orders and your account;
- the people who host and support the website's technology, who receive nothing routinely.

Each of them receives only the details listed below, and the shop refuses to send them anything else. Every disclosure is recorded. If the law obliges us to disclose information to an authority, the request, its legal basis and what was disclosed are recorded in the same way.

We will never sell your personal information to anyone.`,
    ],
    retention: [
      'How long we keep it',
      `We keep order records for a minimum period after the last activity on the order, for after-sales service and because tax and commercial law require it. We keep customer-service conversations for a minimum period after they are closed, in case you come back to us about the same matter and to improve our service. The table below gives these periods as the shop applies them.

Each kind of information also has a latest date by which it is gone, listed below with what happens then. When you ask us to delete your account or your data, we do it within the deadline below, counted in business days; most deletions happen at once. Information the law obliges us to keep — orders inside their legal term — is set aside instead: it is no longer linked to you, only our privacy officer can read it, for the legal obligation alone, and it is deleted when the term ends.`,
    ],
    security: [
      'How we protect it',
      `We protect your information in transit, in storage and in use. Pages are served over encrypted connections. Personal details are stored encrypted, each customer's and each order's under a key of their own, so that deleting the key makes the data unreadable for good, backups included. Passwords are stored only as strong one-way hashes.

Only authorised members of staff can see personal information, and only what their job needs, for a stated purpose: the people who pack parcels see the name, address and phone for the delivery, never your e-mail or payment details. Staff sign in with a password and a one-time code, and every time they open someone's personal details it is written to a log that cannot be altered unnoticed.`,
    ],
    cookies: [
      'Cookies',
      `We use a few cookies that the shop needs to work, such as the one that keeps your cart. With your permission we also use cookies to improve the website's performance, to give you a smoother shopping experience and to remember your preferences. We ask before setting any of those, and nothing optional is set until you choose. If your browser sends a Global Privacy Control signal, we treat it as a refusal.

You can change your choice at any time on the cookie settings page, linked at the foot of every page. You can also block or delete cookies in your browser; the shop still works, though without the essential cookies you cannot keep a cart or stay signed in.`,
    ],
    minors: [
      'Children',
      `Our shop is for adults, and we do not knowingly collect personal information from children: everyone who opens an account confirms they are an adult. If we find that we have collected a child's information, our privacy officer checks the case, and once it is confirmed we delete everything we hold about them, orders included, as quickly as the deadline below.`,
    ],
    rights: [
      'Your rights and how to use them',
      `You have the right to:

- get a copy of the information we hold about you;
- correct or update it;
- have information deleted that we no longer need;
- withdraw a permission you gave, such as for optional cookies or marketing e-mail, at any time.

You can also ask what we hold, and who has seen it. Signed-in customers do all of this in the privacy center; without an account, the privacy center checks your e-mail address with a code before showing or deleting anything. Or contact us and we will help.`,
    ],
    changes: [
      'Changes to this policy',
      `We may update this policy when the shop changes. Every version is kept and you can see exactly what changed between them.

Small corrections take effect at once. A significant change — in what we collect, what we use it for, who receives it or how long we keep it — is announced ahead: every customer with an account receives an e-mail, and a notice appears on the website until the change takes effect. If you continue to use the website after that date, you accept the updated policy.`,
    ],
    contact: [
      'Contact us',
      `If you have a question about this policy or about how your personal information is used, or want to make a request, contact our customer service team. We answer every privacy question and keep improving how we protect your information.`,
    ],
  };
  return SECTION_IDS.map((id) => ({ id, heading: text[id][0], prose: text[id][1] }));
}
