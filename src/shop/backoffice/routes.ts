import fastifyMultipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import type { Html } from '../../platform/http/html.ts';
import { keptValues, parseForm } from '../../platform/http/forms.ts';
import { MAX_PICTURE_BYTES } from '../catalog/images.ts';
import { SearchWords } from '../catalog/routes.ts';
import { archiveProduct, listCategories } from '../catalog/service.ts';
import { shippingCountries } from '../checkout/service.ts';
import { shopContext } from '../context.ts';
import { deskNav, staffGate } from './desk.ts';
import {
  addShippingOption,
  addTaxRate,
  adjustStock,
  createProduct,
  findAdminProduct,
  findShippingOption,
  listAdminProducts,
  listShippingOptions,
  removePicture,
  NewShippingOptionForm,
  NewTaxRateForm,
  PRODUCT_FIELDS,
  ProductForm,
  SHIPPING_FIELDS,
  ShippingOptionForm,
  StockChange,
  STOCK_FILTERS,
  TAX_FIELDS,
  TaxRateForm,
  unarchiveProduct,
  updateProduct,
  updateShippingOption,
  updateTaxRate,
  uploadPicture,
} from './service.ts';
import {
  productFormPage,
  productListHref,
  productListPage,
  productValues,
  shippingFormPage,
  shippingListPage,
  shippingValues,
  taxPage,
  type FormState,
  type ProductListQuery,
  type StockProblem,
  type TaxProblem,
} from './views.ts';

// The administrator's pages (role admin): the catalogue, delivery options and the tax table. Admin reads no
// customer data, so these routes declare no purpose.

export const PRODUCTS_PER_ADMIN_PAGE = 50;

const ListQuery = z.object({
  // Taken as the storefront's search takes its words: control characters (PostgreSQL refuses NUL) become spaces.
  q: SearchWords.default(''),
  stock: z.enum(STOCK_FILTERS, { error: `stock must be one of ${STOCK_FILTERS.join(', ')}` }).default('any'),
  page: z.coerce.number({ error: 'page must be a whole number from 1' }).int('page must be a whole number from 1').min(1, 'page must be a whole number from 1').max(100_000).default(1),
});
const IdParams = z.object({ id: z.string().regex(/^\d{1,9}$/).transform(Number) });
const CodeParams = z.object({ code: z.string().regex(/^[a-z0-9-]{1,40}$/) });
const CountryParams = z.object({ country: z.string().regex(/^[A-Z]{2}$/) });
/** A file past the size limit arrives cut short: it stands for itself as this marker, never as its first 2 MB. */
const TOO_LARGE = 'too-large';
const PictureUpload = z.object({ picture: z.union([z.instanceof(Buffer), z.literal(TOO_LARGE)]) });

export async function backOfficeRoutes(app: FastifyInstance, platform: Platform) {
  const ctx = shopContext(platform);
  const { guard, staff } = staffGate(ctx);

  function page(request: FastifyRequest, reply: FastifyReply, title: string, body: Html, current: string, status = 200) {
    return sendPrivatePage(reply, platform.layout.page({ title, body, nav: deskNav(staff(request), current) }), status);
  }

  // ── products ───────────────────────────────────────────────────────────────────────────────────────────────────

  async function productList(request: FastifyRequest, reply: FastifyReply, query: ProductListQuery, problem?: StockProblem) {
    const list = await listAdminProducts(ctx, { ...query, perPage: PRODUCTS_PER_ADMIN_PAGE });
    const body = productListPage(csrfField(reply), { ...list, perPage: PRODUCTS_PER_ADMIN_PAGE }, query, problem);
    return page(request, reply, 'Products', body, '/admin/products', problem ? 400 : 200);
  }

  async function productForm(request: FastifyRequest, reply: FastifyReply, productId: number | undefined, state?: FormState, status = 200, pictureProblem?: string) {
    const [categories, product] = await Promise.all([listCategories(ctx), productId === undefined ? undefined : findAdminProduct(ctx, productId)]);
    if (productId !== undefined && !product) return reply.callNotFound();
    const title = product ? `Edit ${product.name}` : 'New product';
    const filled = state ?? (product ? { values: productValues(product), errors: {} } : undefined);
    return page(request, reply, title, productFormPage(csrfField(reply), categories, product, filled, pictureProblem), '/admin/products', status);
  }

  app.get('/admin/products', { preHandler: guard({ allow: ['admin'] }) }, (request, reply) => productList(request, reply, ListQuery.parse(request.query)));

  app.get('/admin/products/new', { preHandler: guard({ allow: ['admin'] }) }, (request, reply) => productForm(request, reply, undefined));

  app.post('/admin/products', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
    const form = parseForm(ProductForm, request.body, PRODUCT_FIELDS);
    if (!form.ok) return productForm(request, reply, undefined, form, 400);
    const saved = await createProduct(ctx, form.data);
    if (!saved.ok) return productForm(request, reply, undefined, { values: keptValues(request.body, PRODUCT_FIELDS), errors: saved.errors }, saved.status);
    return reply.redirect(`/admin/products/${saved.value}`, 303);
  });

  app.get('/admin/products/:id', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    return params.success ? productForm(request, reply, params.data.id) : reply.callNotFound();
  });

  app.post('/admin/products/:id', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const { id } = params.data;
    const form = parseForm(ProductForm, request.body, PRODUCT_FIELDS);
    if (!form.ok) return productForm(request, reply, id, form, 400);
    const saved = await updateProduct(ctx, id, form.data);
    if (!saved) return reply.callNotFound();
    if (!saved.ok) return productForm(request, reply, id, { values: keptValues(request.body, PRODUCT_FIELDS), errors: saved.errors }, saved.status);
    return reply.redirect(`/admin/products/${id}`, 303);
  });

  // Archiving twice (a double click) is harmless: the second finds nothing on sale and lands on the same page.
  app.post('/admin/products/:id/archive', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    const product = params.success ? await findAdminProduct(ctx, params.data.id) : undefined;
    if (!product) return reply.callNotFound();
    await archiveProduct(ctx, product.slug);
    return reply.redirect(`/admin/products/${product.id}`, 303);
  });

  app.post('/admin/products/:id/unarchive', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    const product = params.success ? await findAdminProduct(ctx, params.data.id) : undefined;
    if (!product) return reply.callNotFound();
    await unarchiveProduct(ctx, product.id);
    return reply.redirect(`/admin/products/${product.id}`, 303);
  });

  // Multipart is read for this one route only, into memory and within limits: one file, a token, nothing else large.
  // Its fields land in the body, where the CSRF check finds the token.
  await app.register(async (upload) => {
    await upload.register(fastifyMultipart, {
      attachFieldsToBody: 'keyValues',
      throwFileSizeLimit: false,
      limits: { files: 1, fileSize: MAX_PICTURE_BYTES, fields: 1, fieldSize: 1024, parts: 2 },
      onFile: async (part: MultipartFile & { value?: unknown }) => {
        const bytes = await part.toBuffer();
        part.value = part.file.truncated ? TOO_LARGE : bytes;
      },
    });

    upload.post('/admin/products/:id/image', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
      const params = IdParams.safeParse(request.params);
      const product = params.success ? await findAdminProduct(ctx, params.data.id) : undefined;
      if (!product) return reply.callNotFound();
      const form = PictureUpload.safeParse(request.body);
      if (!form.success) return productForm(request, reply, product.id, undefined, 400, 'Choose a PNG, JPEG or WebP file to upload.');
      if (form.data.picture === TOO_LARGE) return productForm(request, reply, product.id, undefined, 413, 'This file is larger than 2 MB: upload a smaller picture.');
      const saved = await uploadPicture(ctx, product.id, form.data.picture);
      if (!saved.ok) return productForm(request, reply, product.id, undefined, 400, saved.message);
      return reply.redirect(`/admin/products/${product.id}`, 303);
    });
  });

  app.post('/admin/products/:id/image/remove', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    const product = params.success ? await findAdminProduct(ctx, params.data.id) : undefined;
    if (!product) return reply.callNotFound();
    await removePicture(ctx, product.id);
    return reply.redirect(`/admin/products/${product.id}`, 303);
  });

  // The quick change on the list: a refused one brings the list back with the message beside that product.
  app.post('/admin/products/:id/stock', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const { id } = params.data;
    const query = ListQuery.parse(request.body ?? {});
    const form = parseForm(StockChange, request.body, ['change']);
    if (!form.ok) return productList(request, reply, query, { id, message: form.errors.change ?? 'Enter a change like 12 or -3', value: form.values.change ?? '' });
    const result = await adjustStock(ctx, id, form.data.change);
    if (!result) return reply.callNotFound();
    if (!result.ok) return productList(request, reply, query, { id, message: result.message, value: String(form.data.change) });
    return reply.redirect(productListHref(query), 303);
  });

  // ── delivery options ───────────────────────────────────────────────────────────────────────────────────────────

  const shippingForm = (request: FastifyRequest, reply: FastifyReply, code: string | undefined, state?: FormState, status = 200) =>
    page(request, reply, code ? `Edit ${code}` : 'New delivery option', shippingFormPage(csrfField(reply), code, state), '/admin/shipping', status);

  app.get('/admin/shipping', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) =>
    page(request, reply, 'Shipping options', shippingListPage(await listShippingOptions(ctx)), '/admin/shipping'),
  );

  app.get('/admin/shipping/new', { preHandler: guard({ allow: ['admin'] }) }, (request, reply) => shippingForm(request, reply, undefined));

  app.post('/admin/shipping', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
    const form = parseForm(NewShippingOptionForm, request.body, SHIPPING_FIELDS);
    if (!form.ok) return shippingForm(request, reply, undefined, form, 400);
    const saved = await addShippingOption(ctx, form.data);
    if (!saved.ok) return shippingForm(request, reply, undefined, { values: keptValues(request.body, SHIPPING_FIELDS), errors: saved.errors }, saved.status);
    return reply.redirect('/admin/shipping', 303);
  });

  app.get('/admin/shipping/:code', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
    const params = CodeParams.safeParse(request.params);
    const option = params.success ? await findShippingOption(ctx, params.data.code) : undefined;
    if (!option) return reply.callNotFound();
    return shippingForm(request, reply, option.code, { values: shippingValues(option), errors: {} });
  });

  app.post('/admin/shipping/:code', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
    const params = CodeParams.safeParse(request.params);
    const option = params.success ? await findShippingOption(ctx, params.data.code) : undefined;
    if (!option) return reply.callNotFound();
    const form = parseForm(ShippingOptionForm, request.body, SHIPPING_FIELDS);
    if (!form.ok) return shippingForm(request, reply, option.code, form, 400);
    if (!(await updateShippingOption(ctx, option.code, form.data))) return reply.callNotFound();
    return reply.redirect('/admin/shipping', 303);
  });

  // ── tax table ──────────────────────────────────────────────────────────────────────────────────────────────────

  const taxTable = async (request: FastifyRequest, reply: FastifyReply, problem?: TaxProblem, status = 200) =>
    page(request, reply, 'Tax rates', taxPage(csrfField(reply), await shippingCountries(ctx), problem), '/admin/tax', status);

  app.get('/admin/tax', { preHandler: guard({ allow: ['admin'] }) }, (request, reply) => taxTable(request, reply));

  app.post('/admin/tax', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
    const form = parseForm(NewTaxRateForm, request.body, TAX_FIELDS);
    if (!form.ok) return taxTable(request, reply, { country: undefined, ...form }, 400);
    const saved = await addTaxRate(ctx, form.data);
    if (!saved.ok) return taxTable(request, reply, { country: undefined, values: keptValues(request.body, TAX_FIELDS), errors: saved.errors }, saved.status);
    return reply.redirect('/admin/tax', 303);
  });

  app.post('/admin/tax/:country', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
    const params = CountryParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const { country } = params.data;
    const form = parseForm(TaxRateForm, request.body, ['rate']);
    if (!form.ok) return taxTable(request, reply, { country, ...form }, 400);
    if (!(await updateTaxRate(ctx, country, form.data.rate))) return reply.callNotFound();
    return reply.redirect('/admin/tax', 303);
  });
}
