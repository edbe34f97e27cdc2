import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { compressPage, sendCompressed, type CompressedPage } from '../../platform/http/compression.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { withConsentNotice } from '../../privacy/consent/routes.ts';
import { mustAsk } from '../../privacy/consent/service.ts';
import { alsoViewed, personalSuggestions, recentlyViewed, rememberView, suggestionIndex } from '../recommendations/service.ts';
import { suggestionsView, withPersonalSuggestions } from '../recommendations/views.ts';
import { createCatalogCache } from './cache.ts';
import { productImageSvg, UPLOADED_PICTURE_FILE } from './images.ts';
import {
  findCategory,
  findProduct,
  findProductSwatch,
  findUploadedPicture,
  listCategories,
  listProducts,
  listVariants,
  SEARCH_MAX_LENGTH,
  SEARCH_SORTS,
  searchProducts,
  type SearchSort,
} from './service.ts';
import { categoryNav, listingView, productTitle, productView, searchView } from './views.ts';

export const PRODUCTS_PER_PAGE = 24;

const PAGE_MESSAGE = 'page must be a whole number from 1';
export const Page = z.coerce.number({ error: PAGE_MESSAGE }).int(PAGE_MESSAGE).min(1, PAGE_MESSAGE).max(100_000, 'page must be at most 100000').default(1);
const ListingQuery = z.object({ page: Page });
const Q_MESSAGE = `q must be text of at most ${SEARCH_MAX_LENGTH} characters`;
// One spelling per query, so that the cache holds one page for it: control characters (PostgreSQL refuses NUL) and
// runs of spaces become one space, unpaired surrogates a replacement character.
export const SearchWords = z
  .string({ error: Q_MESSAGE })
  .transform((q) => q.toWellFormed().normalize('NFC').replace(/[\p{Cc}\s]+/gu, ' ').trim())
  .pipe(z.string().max(SEARCH_MAX_LENGTH, Q_MESSAGE));
const SearchQuery = z.object({
  q: SearchWords.default(''),
  sort: z.enum(SEARCH_SORTS, { error: `sort must be one of ${SEARCH_SORTS.join(', ')}` }).default('relevance'),
  page: Page,
});
const SlugParams = z.object({ slug: z.string().regex(/^[a-z0-9-]{1,160}$/) });
const ImageParams = z.object({ file: z.string().regex(/^[a-z0-9-]{1,160}\.svg$/) });

/** A catalogue page before the layout; undefined when there is no such page. */
type CatalogPage = { title: string; description?: string; body: Html; nav: Html } | undefined;

export function catalogRoutes(app: FastifyInstance, { database, clock, layout, config }: Platform) {
  const ctx = { db: database.db, clock };
  const cache = createCatalogCache(database.db, config.catalogCacheMs, layout.announcementStamp);
  // Search pages have a cache of their own: anyone can make up queries, and filling the shared cache with them
  // would keep emptying it of the listing and product pages.
  const searchCache = createCatalogCache(database.db, config.catalogCacheMs, layout.announcementStamp);

  async function homePage(page: number): Promise<CatalogPage> {
    const [listing, categories] = await Promise.all([listProducts(ctx, { page, perPage: PRODUCTS_PER_PAGE }), listCategories(ctx)]);
    if (listing.products.length === 0 && page > 1) return undefined;
    const body = listingView({
      heading: 'Skincare and make-up, made to be trusted',
      intro: `Everything in the ${config.shop.name} range, from cleansers to brushes.`,
      listing,
      basePath: '/',
    });
    return { title: config.shop.name, body, nav: categoryNav(categories) };
  }

  async function categoryPage(slug: string, page: number): Promise<CatalogPage> {
    const [category, categories] = await Promise.all([findCategory(ctx, slug), listCategories(ctx)]);
    if (!category) return undefined;
    const listing = await listProducts(ctx, { page, perPage: PRODUCTS_PER_PAGE, categoryId: category.id });
    if (listing.products.length === 0 && page > 1) return undefined;
    const body = listingView({ heading: category.name, intro: category.description, listing, basePath: `/categories/${category.slug}` });
    return { title: category.name, description: category.description, body, nav: categoryNav(categories, category.slug) };
  }

  async function productPage(slug: string): Promise<CatalogPage> {
    const [product, categories] = await Promise.all([findProduct(ctx, slug), listCategories(ctx)]);
    if (!product) return undefined;
    const [variants, suggestions] = await Promise.all([product.variantGroup === null ? [] : listVariants(ctx, product.variantGroup), alsoViewed(ctx, product.id)]);
    const body = html`${productView(product, variants)}${suggestionsView(suggestions)}`;
    return { title: productTitle(product), description: product.summary, body, nav: categoryNav(categories, product.categorySlug) };
  }

  async function searchPage(q: string, sort: SearchSort, page: number): Promise<CatalogPage> {
    if (q === '') {
      const categories = await listCategories(ctx);
      return { title: 'Search', body: searchView({ q, sort }), nav: categoryNav(categories, undefined, 'search') };
    }
    const [listing, categories] = await Promise.all([searchProducts(ctx, { q, sort, page, perPage: PRODUCTS_PER_PAGE }), listCategories(ctx)]);
    if (listing.products.length === 0 && page > 1) return undefined;
    return { title: `Search: ${q}`, body: searchView({ q, sort, listing }), nav: categoryNav(categories, undefined, 'search') };
  }

  // Catalogue pages are the same for every visitor, so whole pages are cached as encoded and compressed bytes:
  // encoding a 12 kB page to UTF-8 on every request was the largest single cost left in the listing. A visitor who
  // has not answered the cookie banner yet gets the page's other copy, the one with the banner.
  function cachedPage(request: FastifyRequest, key: string, build: () => Promise<CatalogPage>, from = cache): Promise<CompressedPage | undefined> {
    const ask = mustAsk(request);
    return from.get(ask ? `${key}:ask` : key, async () => {
      const page = await build();
      return page && compressPage(Buffer.from(withConsentNotice(layout.page({ title: page.title, body: page.body, nav: page.nav, ...(page.description ? { description: page.description } : {}) }), ask)));
    });
  }

  async function sendCached(request: FastifyRequest, reply: FastifyReply, key: string, build: () => Promise<CatalogPage>, from = cache) {
    const bytes = await cachedPage(request, key, build, from);
    return bytes ? sendCompressed(request, reply, bytes, 'text/html; charset=utf-8') : reply.callNotFound();
  }

  app.get('/', async (request, reply) => {
    const { page } = ListingQuery.parse(request.query);
    return sendCached(request, reply, `home:${page}`, () => homePage(page));
  });

  app.get('/categories/:slug', async (request, reply) => {
    const params = SlugParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const { page } = ListingQuery.parse(request.query);
    return sendCached(request, reply, `category:${params.data.slug}:${page}`, () => categoryPage(params.data.slug, page));
  });

  app.get('/products/:slug', async (request, reply) => {
    const params = SlugParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const { slug } = params.data;
    // "Customers also viewed" follows the co-views, so a product page is built afresh each day.
    const bytes = await cachedPage(request, `product:${slug}:${clock.now().toISOString().slice(0, 10)}`, () => productPage(slug));
    if (!bytes) return reply.callNotFound();
    // With shopping-experience consent the page also lists the visitor's recently viewed products and picks from
    // them: that copy is theirs alone, so it is filled in here and never cached.
    const recent = recentlyViewed(request).filter((s) => s !== slug);
    rememberView(request, reply, slug, config.env === 'production');
    if (recent.length === 0) return sendCompressed(request, reply, bytes, 'text/html; charset=utf-8');
    const index = await cache.get('suggestion-index', () => suggestionIndex(ctx));
    return sendPrivatePage(reply, withPersonalSuggestions(bytes.identity, personalSuggestions(index, slug, recent)));
  });

  app.get('/search', async (request, reply) => {
    const { q, sort, page } = SearchQuery.parse(request.query);
    return sendCached(request, reply, `search:${sort}:${page}:${q}`, () => searchPage(q, sort, page), searchCache);
  });

  app.get('/images/products/:file', async (request, reply) => {
    const parsed = ImageParams.safeParse(request.params);
    if (!parsed.success) return reply.callNotFound();
    const slug = parsed.data.file.slice(0, -'.svg'.length);
    const svg = await cache.get(`image:${slug}`, async () => {
      const found = await findProductSwatch(ctx, slug);
      return found && productImageSvg(found.categorySlug, found.swatch);
    });
    if (!svg) return reply.callNotFound();
    return reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(svg);
  });

  // An uploaded picture's address is its hash: a new upload gets a new address, so this one never changes.
  app.get('/images/products/uploads/:file', async (request, reply) => {
    const match = UPLOADED_PICTURE_FILE.exec((request.params as { file: string }).file);
    const picture = match ? await findUploadedPicture(ctx, match[1]!) : undefined;
    if (!picture) return reply.callNotFound();
    return reply
      .type(picture.contentType)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('etag', `"${match![1]}"`)
      .header('x-content-type-options', 'nosniff')
      .send(picture.bytes);
  });
}
