import type { Config } from '../config.ts';
import type { Assets } from './assets.ts';
import { html, trusted, type Html } from './html.ts';

export type PageOptions = { title: string; body: Html; description?: string; nav?: Html };

/**
 * A notice every page carries above its content (an announced change of the privacy policy), and a stamp that
 * changes whenever the notice does, so caches of whole pages can tell theirs is stale.
 */
export type Announcement = { markup(): Html; stamp(): string };

export type Layout = {
  page(options: PageOptions): string;
  /** Sets the announcement (the privacy engine's policy notice); until then there is none. */
  announce(announcement: Announcement): void;
  announcementStamp(): string;
};

/** Where a per-visitor notice (the cookie banner) goes; pages are rendered, and cached, with this placeholder. */
export const NOTICE_SLOT = '<!--notice-->';

/**
 * `defaultNav` is the menu of pages that do not bring their own; `footerLinks` the links every page ends with (the
 * shop supplies both).
 */
export function createLayout(config: Config, assets: Assets, defaultNav: Html = html`<a href="/">Shop</a>`, footerLinks: Html = html``): Layout {
  const { shop } = config;
  const stylesheet = assets.url('style.css');
  const icon = assets.url('favicon.svg');
  let announcement: Announcement = { markup: () => html``, stamp: () => '' };
  return {
    announce(next) {
      announcement = next;
    },
    announcementStamp: () => announcement.stamp(),
    page({ title, body, description, nav }) {
      const fullTitle = title === shop.name ? title : `${title} · ${shop.name}`;
      return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${fullTitle}</title>
${description ? html`<meta name="description" content="${description}">` : ''}
<link rel="stylesheet" href="${stylesheet}">
<link rel="icon" href="${icon}" type="image/svg+xml">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site-header">
  <a class="brand" href="/">${shop.name}</a>
  <nav aria-label="Main">${nav ?? defaultNav}</nav>
</header>
${announcement.markup()}
${trusted(NOTICE_SLOT)}
<main id="main">
${body}
</main>
<footer class="site-footer">
  <p>Questions about your order or your data? Write to <a href="mailto:${shop.contactEmail}">${shop.contactEmail}</a>
  or call <a href="tel:${shop.contactPhone.replace(/[^+0-9]/g, '')}">${shop.contactPhone}</a>.</p>
  <p>${footerLinks}<a href="/privacy/cookies">Cookie settings</a> · &copy; ${shop.name}</p>
</footer>
</body>
</html>
`.value;
    },
  };
}
