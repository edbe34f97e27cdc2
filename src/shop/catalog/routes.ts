import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { sendPage, type Platform } from '../../platform/http/app.ts';
import { productImageSvg } from './images.ts';
import { findCategory, findProduct, findProductSwatch, listCategories, listProducts } from './service.ts';
import { categoryNav, listingView, productView } from './views.ts';

export const PRODUCTS_PER_PAGE = 24;

const ListingQuery = z.object({
  page: z.coerce.number({ error: 'page must be a whole number from 1' }).int('page must be a whole number from 1').min(1, 'page must be a whole number from 1').max(100_000, 'page must be at most 100000').default(1),
});
const SlugParams = z.object({ slug: z.string().regex(/^[a-z0-9-]{1,160}$/) });
const ImageParams = z.object({ file: z.string().regex(/^[a-z0-9-]{1,160}\.svg$/) });

export function catalogRoutes(app: FastifyInstance, { database, clock, layout, config }: Platform) {
  const ctx = { db: database.db, clock };

  app.get('/', async (request, reply) => {
    const { page } = ListingQuery.parse(request.query);
    const [listing, categories] = await Promise.all([listProducts(ctx, { page, perPage: PRODUCTS_PER_PAGE }), listCategories(ctx)]);
    if (listing.products.length === 0 && page > 1) return reply.callNotFound();
    const body = listingView({
      heading: 'Skincare and make-up, made to be trusted',
      intro: `Everything in the ${config.shop.name} range, from cleansers to brushes.`,
      listing,
      basePath: '/',
    });
    return sendPage(reply, layout.page({ title: config.shop.name, body, nav: categoryNav(categories) }));
  });

  app.get('/categories/:slug', async (request, reply) => {
    const params = SlugParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const { page } = ListingQuery.parse(request.query);
    const [category, categories] = await Promise.all([findCategory(ctx, params.data.slug), listCategories(ctx)]);
    if (!category) return reply.callNotFound();
    const listing = await listProducts(ctx, { page, perPage: PRODUCTS_PER_PAGE, categoryId: category.id });
    if (listing.products.length === 0 && page > 1) return reply.callNotFound();
    const body = listingView({ heading: category.name, intro: category.description, listing, basePath: `/categories/${category.slug}` });
    return sendPage(reply, layout.page({ title: category.name, description: category.description, body, nav: categoryNav(categories, category.slug) }));
  });

  app.get('/products/:slug', async (request, reply) => {
    const params = SlugParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const [product, categories] = await Promise.all([findProduct(ctx, params.data.slug), listCategories(ctx)]);
    if (!product) return reply.callNotFound();
    return sendPage(reply, layout.page({ title: product.name, description: product.summary, body: productView(product), nav: categoryNav(categories, product.categorySlug) }));
  });

  app.get('/images/products/:file', async (request, reply) => {
    const parsed = ImageParams.safeParse(request.params);
    if (!parsed.success) return reply.callNotFound();
    const found = await findProductSwatch(ctx, parsed.data.file.slice(0, -'.svg'.length));
    if (!found) return reply.callNotFound();
    return reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(productImageSvg(found.categorySlug, found.swatch));
  });
}
