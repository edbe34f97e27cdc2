import { createHash } from 'node:crypto';

// The cookie inventory, beside the data inventory (seed 000 §6): every cookie and browser-storage key the shop
// may set, with its category, purpose and lifetime. The consent banner, /privacy/cookies and the test that fails on
// an undeclared cookie all read this map, so the list a visitor is shown is the list the code is held to.

export const COOKIE_CATEGORIES = {
  essential: { label: 'Essential', purpose: 'Needed for the shop to work: your session, your cart, form security and this cookie choice. Always on.' },
  performance: { label: 'Performance', purpose: 'Counting page and product views without identifying you, to improve the website’s performance and layout.' },
  experience: { label: 'Shopping experience', purpose: 'Remembering the products you viewed, to show them again and suggest others.' },
  preferences: { label: 'Preferences', purpose: 'Remembering your display preferences.' },
} as const;
export type CookieCategory = keyof typeof COOKIE_CATEGORIES;

/** The categories a visitor may grant or refuse. */
export const OPTIONAL_CATEGORIES = ['performance', 'experience', 'preferences'] as const satisfies readonly CookieCategory[];
export type OptionalCategory = (typeof OPTIONAL_CATEGORIES)[number];

export type CookieDeclaration = { category: CookieCategory; purpose: string; lifetime: string };

export const CONSENT_COOKIE = 'pledge_consent';
export const RECENTLY_VIEWED_COOKIE = 'pledge_recent';

export const COOKIES = {
  pledge_session: { category: 'essential', purpose: 'Keeps you signed in to your account.', lifetime: 'Until the browser closes or you sign out' },
  pledge_cart: { category: 'essential', purpose: 'Finds your cart when you are not signed in.', lifetime: '30 days from the last change to the cart' },
  pledge_order: { category: 'essential', purpose: 'Lets you follow an order placed without an account.', lifetime: '24 hours' },
  pledge_ticket: { category: 'essential', purpose: 'Lets you follow a support request made without an account.', lifetime: '24 hours' },
  pledge_staff: { category: 'essential', purpose: 'Keeps staff signed in to the back office (only under /admin).', lifetime: 'Until the browser closes' },
  csrf: { category: 'essential', purpose: 'Protects forms against being sent from other sites.', lifetime: 'Until the browser closes' },
  '__Host-csrf': { category: 'essential', purpose: 'Protects forms against being sent from other sites (name used over HTTPS).', lifetime: 'Until the browser closes' },
  [CONSENT_COOKIE]: { category: 'essential', purpose: 'Remembers your cookie choice, with a random id that finds your consent receipt.', lifetime: '6 months' },
  [RECENTLY_VIEWED_COOKIE]: { category: 'experience', purpose: 'The last few products you viewed, shown on product pages with picks from their categories and brands.', lifetime: '30 days' },
} as const satisfies Record<string, CookieDeclaration>;
export type CookieName = keyof typeof COOKIES;

/** Browser storage (localStorage, sessionStorage) keys the shop uses: none, and declaring one means listing it here. */
export const STORAGE_KEYS = {} as const satisfies Record<string, CookieDeclaration>;

export function isDeclaredCookie(name: string): name is CookieName {
  return Object.hasOwn(COOKIES, name);
}

export function cookiesIn(category: CookieCategory): CookieName[] {
  return (Object.keys(COOKIES) as CookieName[]).filter((name) => COOKIES[name].category === category);
}

/**
 * The revision of the cookie list a choice was made under: a hash of which categories exist and which cookies sit
 * in each. A choice made under another revision no longer counts, so adding a category or moving a cookie into one
 * asks every visitor again; rewording a purpose does not.
 */
export const COOKIE_POLICY_REVISION = createHash('sha256')
  .update(JSON.stringify(Object.keys(COOKIE_CATEGORIES).map((category) => [category, cookiesIn(category as CookieCategory)])))
  .digest('base64url')
  .slice(0, 10);
