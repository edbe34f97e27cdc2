import type { FieldErrors } from '../../platform/http/errors.ts';
import { formError } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { wordDiff, type DiffPart } from './diff.ts';
import { FACT_TOPICS, purposeLabel, type FactChange, type PolicyFacts } from './facts.ts';
import type { SectionId } from './prose.ts';
import type { PolicySection } from './schema.ts';
import type { Draft, PolicyVersion, Redline, VersionSummary } from './service.ts';

// The policy's pages: the policy in force with the live facts under the sections they belong to, the list of
// versions, one version with its redline, the notice banner and e-mail, and the privacy officer's editor.

export const day = (at: Date) => at.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const isoDay = (at: Date) => at.toISOString().slice(0, 10);
const KIND_WORDS = { minor: 'Minor', significant: 'Significant' } as const;
const kindWords = (v: VersionSummary) => (v.number === 1 ? 'First version' : KIND_WORDS[v.kind]);

/** Prose as typed: paragraphs separated by a blank line, lines starting with "- " as a list. */
export function proseHtml(prose: string): Html {
  return html`${prose
    .split(/\n\s*\n/)
    .map((block) => block.trim())
    .filter((block) => block !== '')
    .map((block) => {
      const lines = block.split('\n').map((l) => l.trim());
      if (lines.every((l) => l.startsWith('- '))) return html`<ul>${lines.map((l) => html`<li>${l.slice(2)}</li>`)}</ul>`;
      return html`<p>${lines.join(' ')}</p>`;
    })}`;
}

/** The live facts that belong under a section, as tables and lists. */
function factsFor(id: string, facts: PolicyFacts): Html {
  switch (id as SectionId) {
    case 'collection':
      return html`<table class="policy-facts"><caption>What we collect, and what each may be used for</caption>
<thead><tr><th scope="col">Information</th><th scope="col">Used only for</th></tr></thead>
<tbody>${facts.categories.map((c) => html`<tr><td>${c.label}</td><td>${c.purposes.map(purposeLabel).join('; ')}</td></tr>`)}</tbody></table>
<p>We never collect:</p><ul class="never-collected">${facts.neverCollected.map((n) => html`<li>${n}</li>`)}</ul>`;
    case 'use':
      return html`<ul class="policy-facts purposes">${facts.purposes.map((p) => html`<li>${p.label}</li>`)}</ul>`;
    case 'sharing':
      return html`<table class="policy-facts"><caption>Who receives personal information, and exactly what</caption>
<thead><tr><th scope="col">Who</th><th scope="col">What they receive</th></tr></thead>
<tbody>${facts.processors.map((p) => html`<tr><td>${p.label}</td><td>${p.fields.length === 0 ? 'Nothing routinely' : p.fields.join(', ')}</td></tr>`)}</tbody></table>`;
    case 'retention':
      return html`<table class="policy-facts"><caption>How long each kind of information is kept</caption>
<thead><tr><th scope="col">Information</th><th scope="col">Kept at least</th><th scope="col">Gone by</th><th scope="col">Then</th></tr></thead>
<tbody>${facts.retention.map(
        (r) =>
          html`<tr><td>${r.what}</td><td>${r.minimum ? html`${r.minimum}, for ${r.minimumWhy}` : 'No minimum'}</td><td>${r.maximum ? `${r.maximum} after ${r.startsAt}` : 'No automatic end'}</td><td>${capitalised(r.atMaximum)}</td></tr>`,
      )}</tbody></table>
${deadlineSentence(facts)}`;
    case 'cookies':
      return html`<table class="policy-facts"><caption>Every cookie the shop may set</caption>
<thead><tr><th scope="col">Cookie</th><th scope="col">Category</th><th scope="col">Purpose</th><th scope="col">Kept</th></tr></thead>
<tbody>${facts.cookies.map((c) => html`<tr><td><code>${c.name}</code></td><td>${c.category}</td><td>${c.purpose}</td><td>${c.lifetime}</td></tr>`)}</tbody></table>
<p>Change your choice at any time in the <a href="/privacy/cookies">cookie settings</a>.</p>`;
    case 'minors':
      return html`<p class="policy-facts">A confirmed child’s data is erased within ${facts.deadlines.minorDays} business day.</p>`;
    case 'rights':
      return html`<ul class="policy-facts">
<li><a href="/privacy-center">The privacy center</a>: get a copy of your data, correct it, or delete it.</li>
<li><a href="/privacy/cookies">Cookie settings</a>: give or withdraw permission for optional cookies.</li>
<li><a href="/contact">Contact us</a>: any other question or request.</li>
</ul>
${deadlineSentence(facts)}`;
    case 'changes':
      return html`<p class="policy-facts">Significant changes are announced ${facts.noticeDays} days before they take effect. <a href="/privacy/versions">Every version, and what changed</a>.</p>`;
    case 'contact':
      return html`<ul class="policy-facts contact">
<li>E-mail: <a href="mailto:${facts.contact.email}">${facts.contact.email}</a></li>
<li>Phone: <a href="tel:${facts.contact.phone.replace(/[^+0-9]/g, '')}">${facts.contact.phone}</a></li>
<li>Or write to us with the <a href="/contact">contact form</a>.</li>
</ul>`;
    default:
      return html``;
  }
}

function deadlineSentence(facts: PolicyFacts): Html {
  return html`<p class="policy-facts">We answer a request to see, correct or delete your data within ${facts.deadlines.targetDays} business days, and at the latest within ${facts.deadlines.dueDays} business days.</p>`;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function sectionsHtml(sections: readonly PolicySection[], facts: PolicyFacts): Html {
  return html`${sections.map((s) => html`<section class="policy-section" id="${s.id}" aria-labelledby="${s.id}-heading">
<h2 id="${s.id}-heading">${s.heading}</h2>
${proseHtml(s.prose)}
${factsFor(s.id, facts)}
</section>`)}`;
}

/** /privacy: the version in force, with the facts as the code states them now. */
export function policyPage(version: PolicyVersion, facts: PolicyFacts, upcoming: VersionSummary | undefined): Html {
  return html`<article class="policy">
<h1>Privacy policy of ${facts.shopName}</h1>
<p class="policy-meta">Version ${version.number}, in effect since ${day(version.effectiveAt)}. <a href="/privacy/versions">All versions and what changed</a>.</p>
${upcoming ? html`<p class="notice">Version ${upcoming.number} takes effect on ${day(upcoming.effectiveAt)}. <a href="/privacy/versions/${upcoming.number}">See what changes</a>.</p>` : ''}
<nav aria-label="Sections of this policy"><ol>${version.sections.map((s) => html`<li><a href="#${s.id}">${s.heading}</a></li>`)}</ol></nav>
${sectionsHtml(version.sections, facts)}
</article>`;
}

export function versionsPage(versions: readonly VersionSummary[], inForce: number | undefined): Html {
  return html`<section class="policy-versions">
<h1>Versions of the privacy policy</h1>
<p>Every version we have published, newest first. Each one shows what changed from the one before. <a href="/privacy">The policy in force</a>.</p>
<table><thead><tr><th scope="col">Version</th><th scope="col">Kind</th><th scope="col">Published</th><th scope="col">In effect from</th><th scope="col">What changed</th></tr></thead>
<tbody>${versions.map(
    (v) =>
      html`<tr><td><a href="/privacy/versions/${v.number}">Version ${v.number}</a>${v.number === inForce ? html` <strong>(in force)</strong>` : ''}</td><td>${kindWords(v)}</td><td>${day(v.publishedAt)}</td><td>${day(v.effectiveAt)}</td><td>${v.summary}</td></tr>`,
  )}</tbody></table>
</section>`;
}

/** Removed and added words, marked so that screen readers say which is which. */
export function diffHtml(parts: readonly DiffPart[]): Html {
  return html`${parts.map((p) => {
    const text = lines(p.text);
    if (p.kind === 'removed') return html`<del><span class="visually-hidden">[removed: </span>${text}<span class="visually-hidden">]</span></del>`;
    if (p.kind === 'added') return html`<ins><span class="visually-hidden">[added: </span>${text}<span class="visually-hidden">]</span></ins>`;
    return text;
  })}`;
}

const lines = (text: string): Html => html`${text.split('\n').map((line, i) => (i === 0 ? line : html`<br>${line}`))}`;

function factChangeHtml(change: FactChange): Html {
  const label = change.before === null ? 'New' : change.after === null ? 'No longer' : 'Changed';
  return html`<li><strong>${FACT_TOPICS[change.topic]}</strong> (${label}): ${diffHtml(wordDiff(change.before ?? '', change.after ?? ''))}</li>`;
}

export function redlineHtml(r: Redline, previous: number | undefined): Html {
  const touched = r.sections.filter((s) => s.changed);
  if (previous === undefined) return html`<p>This is the first version.</p>`;
  return html`<section class="redline" aria-labelledby="redline-heading">
<h2 id="redline-heading">What changed from version ${previous}</h2>
<p class="hint">Removed words are struck through; added words are underlined.</p>
${touched.length === 0 ? html`<p>The text of the sections is unchanged.</p>` : touched.map((s) => html`<div class="redline-section"><h3>${diffHtml(s.heading)}</h3><div class="redline-prose">${diffHtml(s.prose)}</div></div>`)}
${r.facts.length === 0 ? html`<p>The facts — what is collected, why, who receives it, how long it is kept, cookies, contact details — are unchanged.</p>` : html`<h3>Facts</h3><ul class="redline-facts">${r.facts.map(factChangeHtml)}</ul>`}
</section>`;
}

export function versionPage(version: PolicyVersion, r: Redline, previous: number | undefined, inForce: number | undefined, now: Date): Html {
  const status = version.number === inForce ? 'in force' : version.effectiveAt > now ? 'announced' : 'no longer in force';
  return html`<article class="policy">
<h1>Privacy policy, version ${version.number}</h1>
<p class="policy-meta">${kindWords(version)}, published ${day(version.publishedAt)}, in effect from ${day(version.effectiveAt)} (${status}). <a href="/privacy/versions">All versions</a>.</p>
<p><strong>Summary:</strong> ${version.summary}</p>
${redlineHtml(r, previous)}
<h2>The text of version ${version.number}</h2>
${sectionsHtml(version.sections, version.facts)}
</article>`;
}

/** The banner on every page while a change is announced. */
export function noticeBanner(upcoming: VersionSummary): Html {
  return html`<aside class="notice policy-notice" aria-label="Privacy policy change">
<p>Our privacy policy changes on ${day(upcoming.effectiveAt)}: ${upcoming.summary} <a href="/privacy/versions/${upcoming.number}">See what changes</a>.</p>
</aside>`;
}

export function noticeMail(ctx: { baseUrl: string; shopName: string }, version: VersionSummary): { subject: string; text: string } {
  return {
    subject: `${ctx.shopName}: our privacy policy changes on ${day(version.effectiveAt)}`,
    text: `Hello,

We are changing the privacy policy of ${ctx.shopName}. The new version takes effect on ${day(version.effectiveAt)}.

What changes: ${version.summary}

Every change, word for word: ${ctx.baseUrl}/privacy/versions/${version.number}

If you go on using ${ctx.shopName} after that date, you accept the updated policy. If you do not, you can get a copy of your data or delete your account in the privacy center: ${ctx.baseUrl}/privacy-center

${ctx.shopName}
`,
  };
}

// --- The privacy officer's pages ---------------------------------------------------------------------------------

export type EditorState = { errors?: FieldErrors; values?: Record<string, string>; message?: string; published?: number };

export function editorPage(
  s: EditorState & { draft: Draft; inForce: VersionSummary | undefined; pending: readonly VersionSummary[]; drift: readonly FactChange[]; csrf: Html; noticeDays: number },
): Html {
  const value = (name: string, fallback: string) => s.values?.[name] ?? fallback;
  return html`<section class="admin policy-editor">
<h1>Privacy policy</h1>
${s.published ? html`<p class="notice" role="status">Version ${s.published} is published. <a href="/privacy/versions/${s.published}">See it</a>.</p>` : ''}
${formError(s.message)}
<p>${s.inForce ? html`Version ${s.inForce.number} is in force since ${day(s.inForce.effectiveAt)}.` : 'No version is in force yet.'} <a href="/privacy/versions">All versions</a>.</p>
${s.pending.map((v) => html`<p class="notice">Version ${v.number} is announced for ${day(v.effectiveAt)}; the next version can be published after that.</p>`)}
${s.drift.length > 0
  ? html`<div class="form-error" role="alert"><p>The live facts differ from version ${s.inForce?.number}, the version in force. The policy page already shows the live facts; ${
      s.pending[0]
        ? `version ${s.pending[0].number}, announced for ${day(s.pending[0].effectiveAt)}, states the facts as they were when it was published.`
        : `publish a significant version to announce the change to customers ${s.noticeDays} days ahead.`
    }</p><ul>${s.drift.map(factChangeHtml)}</ul></div>`
  : html`<p>The live facts match version ${s.inForce?.number}.</p>`}
<h2>${s.draft.saved ? 'The draft' : `A new draft from version ${s.draft.basedOn.number}`}</h2>
<p class="hint">Paragraphs are separated by a blank line; a line starting with “- ” is an item of a list. The facts (tables and lists) are added by the shop under their section.</p>
<form class="stacked" method="post" action="/admin/policy/draft" novalidate>
${s.csrf}
${textArea({ name: 'summary', label: 'Summary of the change (shown in the list of versions, the banner and the e-mail)', value: value('summary', s.draft.summary), error: s.errors?.summary, rows: 2 })}
${s.draft.sections.map(
  (section) => html`<fieldset><legend>Section “${section.id}”</legend>
${textInput({ name: `heading_${section.id}`, label: 'Heading', value: value(`heading_${section.id}`, section.heading), error: s.errors?.[`heading_${section.id}`] })}
${textArea({ name: `prose_${section.id}`, label: 'Text', value: value(`prose_${section.id}`, section.prose), error: s.errors?.[`prose_${section.id}`], rows: 12 })}
</fieldset>`,
)}
<button type="submit">Save and preview</button>
</form>
${s.draft.saved
  ? html`<form method="post" action="/admin/policy/draft/discard">${s.csrf}<button type="submit" class="secondary">Discard the draft</button></form>`
  : ''}
</section>`;
}

export type PreviewState = { errors?: FieldErrors; values?: Record<string, string>; message?: string };

export function previewPage(s: PreviewState & { draft: Draft; redline: Redline; significant: readonly FactChange[]; earliest: Date; csrf: Html; noticeDays: number }): Html {
  const kind = s.values?.kind ?? (s.significant.length > 0 ? 'significant' : 'minor');
  const effectiveOn = s.values?.effectiveOn ?? isoDay(s.earliest);
  return html`<section class="admin policy-preview">
<h1>Preview: version ${s.draft.basedOn.number + 1}</h1>
${formError(s.message)}
<p><strong>Summary:</strong> ${s.draft.summary} <a href="/admin/policy">Edit the draft</a></p>
${redlineHtml(s.redline, s.draft.basedOn.number)}
<h2>Publish</h2>
<form class="stacked" method="post" action="/admin/policy/publish" novalidate>
${s.csrf}
<input type="hidden" name="revision" value="${String(s.draft.revision)}">
<fieldset class="field${s.errors?.kind ? ' has-error' : ''}"${s.errors?.kind ? html` aria-describedby="f-kind-error"` : ''}><legend>Kind of change</legend>
<label><input type="radio" name="kind" value="minor"${kind === 'minor' ? html` checked` : ''}> Minor: in effect at once (wording, corrections; nothing about what is collected, why, who receives it or how long it is kept)</label>
<label><input type="radio" name="kind" value="significant"${kind === 'significant' ? html` checked` : ''}> Significant: every customer is told by e-mail and a banner shows on every page until it takes effect</label>
${s.errors?.kind ? html`<span class="error" id="f-kind-error">${s.errors.kind}</span>` : ''}
</fieldset>
${s.significant.length > 0 ? html`<p class="hint">This draft changes ${[...new Set(s.significant.map((c) => FACT_TOPICS[c.topic].toLowerCase()))].join(', ')}: it can only be significant.</p>` : ''}
<div class="field${s.errors?.effectiveOn ? ' has-error' : ''}">
<label for="f-effectiveOn">In effect from (significant changes; at least ${String(s.noticeDays)} days ahead)</label>
<input id="f-effectiveOn" name="effectiveOn" type="date" min="${isoDay(s.earliest)}" value="${effectiveOn}"${s.errors?.effectiveOn ? html` aria-invalid="true" aria-describedby="f-effectiveOn-error"` : ''}>
${s.errors?.effectiveOn ? html`<span class="error" id="f-effectiveOn-error">${s.errors.effectiveOn}</span>` : ''}
</div>
<button type="submit">Publish</button>
</form>
</section>`;
}

function textInput(o: { name: string; label: string; value: string; error: string | undefined }): Html {
  const id = `f-${o.name}`;
  return html`<div class="field${o.error ? ' has-error' : ''}"><label for="${id}">${o.label}</label>
<input id="${id}" name="${o.name}" type="text" value="${o.value}"${o.error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>
${o.error ? html`<span class="error" id="${id}-error">${o.error}</span>` : ''}</div>`;
}

function textArea(o: { name: string; label: string; value: string; error: string | undefined; rows: number }): Html {
  const id = `f-${o.name}`;
  return html`<div class="field${o.error ? ' has-error' : ''}"><label for="${id}">${o.label}</label>
<textarea id="${id}" name="${o.name}" rows="${String(o.rows)}"${o.error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>${o.value}</textarea>
${o.error ? html`<span class="error" id="${id}-error">${o.error}</span>` : ''}</div>`;
}
