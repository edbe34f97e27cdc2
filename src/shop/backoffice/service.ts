import { createHash } from 'node:crypto';
import { and, asc, count, eq, ilike, isNotNull, isNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Clock } from '../../platform/clock.ts';
import { inTransaction, type Executor, type Tx } from '../../platform/db/index.ts';
import type { FieldErrors } from '../../platform/http/errors.ts';
import { pictureFormat, uploadedPictureFile } from '../catalog/images.ts';
import { categories, productImages, products, type Product } from '../catalog/schema.ts';
import { shippingOptions, taxRates } from '../orders/schema.ts';

// The administrator's side of the catalogue and the shop's settings: products (with their variants, stock and
// archiving), delivery options and the tax table. Forms are checked here with zod; what only the database can
// tell (a slug or code already taken, a category that is gone) comes back as a message for the field, never a 500.

export type AdminContext = { db: Executor; clock: Clock };

/** A refused save: 409 when the database already holds the key (slug, code, country), 400 for other input. */
export type Refused = { ok: false; status: 400 | 409; errors: FieldErrors };
export type Saved<T> = { ok: true; value: T } | Refused;

// ── form fields ──────────────────────────────────────────────────────────────────────────────────────────────────

const text = (label: string, max: number) => z.string({ error: `Enter ${label}` }).trim().min(1, `Enter ${label}`).max(max, `Use at most ${max} characters`);
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `Use at most ${max} characters`)
    .optional()
    .transform((v) => v || null);

/** An amount in dollars with up to two decimals ("12.50", "12.5", "12", "$12.50"), as integer cents. */
export function dollars(what: string) {
  return z
    .string({ error: `Enter ${what} in dollars, like 12.50` })
    .trim()
    .refine((v) => !v.startsWith('-'), `Enter ${what} as 0 or more: it cannot be negative`)
    .regex(/^\$?\d{1,7}(\.\d{1,2})?$/, `Enter ${what} in dollars, like 12.50`)
    .transform((v) => {
      const [whole, fraction = ''] = v.replace('$', '').split('.');
      return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
    });
}

/** A whole number from `min` to `max`, typed as digits. */
export function wholeNumber(message: string, min: number, max: number) {
  return z
    .string({ error: message })
    .trim()
    .regex(/^\d{1,9}$/, message)
    .transform(Number)
    .pipe(z.number().min(min, message).max(max, message));
}

/** A percentage with up to two decimals ("7.25"), as basis points (725). */
const percent = z
  .string({ error: 'Enter the rate as a percentage, like 7.25' })
  .trim()
  .regex(/^\d{1,3}(\.\d{1,2})?$/, 'Enter the rate as a percentage from 0 to 100, like 7.25')
  .transform((v) => {
    const [whole, fraction = ''] = v.split('.');
    return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  })
  .pipe(z.number().max(10000, 'Enter a rate from 0 to 100 %'));

/** A checkbox: sent as "on" when ticked, absent when not. */
const checkbox = z
  .literal('on')
  .optional()
  .transform((v) => v === 'on');

const SLUG_MESSAGE = 'Use lower-case letters, digits and single hyphens, like velvet-matte-lipstick';
const slug = z.string({ error: 'Enter a slug' }).trim().min(1, 'Enter a slug').max(160, 'Use at most 160 characters').regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, SLUG_MESSAGE);

export const MAX_STOCK = 1_000_000;

export const ProductForm = z
  .object({
    name: text('the product name', 120),
    slug,
    brand: text('the brand', 80),
    categoryId: z.string({ error: 'Choose a category' }).regex(/^\d{1,9}$/, 'Choose a category').transform(Number),
    summary: text('a one-line summary', 200),
    description: text('a description', 4000),
    price: dollars('the price'),
    stock: wholeNumber(`Enter the stock as a whole number from 0 to ${MAX_STOCK}`, 0, MAX_STOCK),
    weightGrams: wholeNumber('Enter the weight of one unit in grams, from 1 to 50000', 1, 50_000),
    swatch: z
      .string({ error: 'Enter a colour' })
      .trim()
      .regex(/^#[0-9a-fA-F]{6}$/, 'Enter a colour as # and six hex digits, like #d9a38b')
      .transform((v) => v.toLowerCase()),
    variantGroup: optionalText(160).pipe(z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, SLUG_MESSAGE).nullable()),
    optionName: optionalText(40),
    optionValue: optionalText(60),
    listed: checkbox,
  })
  .superRefine((p, issue) => {
    // A variant is told apart from its siblings by its option, so a group needs one, and an option needs a group.
    if (p.variantGroup) {
      if (!p.optionName) issue.addIssue({ code: 'custom', path: ['optionName'], message: 'A variant needs an option name, like Shade or Size' });
      if (!p.optionValue) issue.addIssue({ code: 'custom', path: ['optionValue'], message: 'A variant needs its option value, like 02 Rose or 50 ml' });
    } else if (p.optionName || p.optionValue) {
      issue.addIssue({ code: 'custom', path: ['variantGroup'], message: 'Name the variant group this option belongs to, or clear the option' });
    }
  });
export type ProductInput = z.output<typeof ProductForm>;

/** The form's fields, for keeping what was typed when it comes back with errors. */
export const PRODUCT_FIELDS = ['name', 'slug', 'brand', 'categoryId', 'summary', 'description', 'price', 'stock', 'weightGrams', 'swatch', 'variantGroup', 'optionName', 'optionValue', 'listed'] as const;

/** PostgreSQL's unique_violation, as either driver reports it (Drizzle wraps the driver's error as the cause). */
function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return (e.cause?.code ?? e.code) === '23505';
}

/** Runs `work` in a transaction; a unique index refusing it becomes `errors` instead of a 500. */
async function unlessTaken<R>(db: Executor, errors: FieldErrors, work: (tx: Tx) => Promise<R>): Promise<R | Refused> {
  try {
    return await inTransaction(db, work);
  } catch (error) {
    if (isUniqueViolation(error)) return { ok: false, status: 409, errors };
    throw error;
  }
}

// ── products ─────────────────────────────────────────────────────────────────────────────────────────────────────

/** Below this, the storefront says "Only N left": the same line marks low stock here. */
export const LOW_STOCK = 10;
export const STOCK_FILTERS = ['any', 'low', 'out'] as const;
export type StockFilter = (typeof STOCK_FILTERS)[number];

export type AdminProductRow = Pick<Product, 'id' | 'slug' | 'name' | 'brand' | 'priceCents' | 'stock' | 'optionName' | 'optionValue' | 'listed' | 'archivedAt'> & { categoryName: string };

const escapeLike = (q: string) => q.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function listAdminProducts(
  ctx: AdminContext,
  { q, stock, page, perPage }: { q: string; stock: StockFilter; page: number; perPage: number },
): Promise<{ rows: AdminProductRow[]; total: number }> {
  const stockCondition: Record<StockFilter, SQL | undefined> = { any: undefined, low: and(lt(products.stock, LOW_STOCK), isNull(products.archivedAt)), out: eq(products.stock, 0) };
  const where = and(q ? or(ilike(products.name, `%${escapeLike(q)}%`), ilike(products.slug, `%${escapeLike(q)}%`)) : undefined, stockCondition[stock]);
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select({
        id: products.id,
        slug: products.slug,
        name: products.name,
        brand: products.brand,
        priceCents: products.priceCents,
        stock: products.stock,
        optionName: products.optionName,
        optionValue: products.optionValue,
        listed: products.listed,
        archivedAt: products.archivedAt,
        categoryName: categories.name,
      })
      .from(products)
      .innerJoin(categories, eq(products.categoryId, categories.id))
      .where(where)
      .orderBy(asc(products.name), asc(products.id))
      .limit(perPage)
      .offset((page - 1) * perPage),
    ctx.db.select({ n: count() }).from(products).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

/** Any product, archived or not, by id. */
/** A product with its uploaded picture's file name (null: it shows the generated one). */
export type AdminProduct = Product & { picture: string | null };

export async function findAdminProduct(ctx: AdminContext, id: number): Promise<AdminProduct | undefined> {
  const [row] = await ctx.db.select({ product: products, picture: uploadedPictureFile(products.id) }).from(products).where(eq(products.id, id));
  return row && { ...row.product, picture: row.picture };
}

// ── pictures ─────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Puts an uploaded picture in place of the product's generated one, or says why not. The format is read from the
 * bytes themselves; one statement replaces the previous upload, and the table's trigger empties the page caches.
 */
export async function uploadPicture(ctx: AdminContext, productId: number, bytes: Buffer): Promise<{ ok: true } | { ok: false; message: string }> {
  if (bytes.length === 0) return { ok: false, message: 'Choose a picture file to upload: the file sent was empty.' };
  const format = pictureFormat(bytes);
  if (!format) return { ok: false, message: 'This file is not a PNG, JPEG or WebP picture: upload one of those.' };
  const row = { ...format, bytes, sha256: createHash('sha256').update(bytes).digest('hex'), uploadedAt: ctx.clock.now() };
  await ctx.db.insert(productImages).values({ productId, ...row }).onConflictDoUpdate({ target: productImages.productId, set: row });
  return { ok: true };
}

/** Back to the generated picture. */
export async function removePicture(ctx: AdminContext, productId: number): Promise<void> {
  await ctx.db.delete(productImages).where(eq(productImages.productId, productId));
}

const slugTaken = { slug: 'Another product already has this slug: choose another one' };

async function checkCategory(tx: Tx, categoryId: number): Promise<Refused | undefined> {
  const [category] = await tx.select({ id: categories.id }).from(categories).where(eq(categories.id, categoryId));
  return category ? undefined : { ok: false, status: 400, errors: { categoryId: 'Choose one of the categories shown' } };
}

/** A group shows in listings through one product: the one just listed takes the place of its siblings. */
async function unlistSiblings(tx: Tx, product: { id: number; variantGroup: string | null; listed: boolean }): Promise<void> {
  if (!product.listed || product.variantGroup === null) return;
  await tx
    .update(products)
    .set({ listed: false })
    .where(and(eq(products.variantGroup, product.variantGroup), ne(products.id, product.id), eq(products.listed, true)));
}

function columnsOf(input: ProductInput) {
  return {
    name: input.name,
    slug: input.slug,
    brand: input.brand,
    categoryId: input.categoryId,
    summary: input.summary,
    description: input.description,
    priceCents: input.price,
    stock: input.stock,
    weightGrams: input.weightGrams,
    swatch: input.swatch,
    variantGroup: input.variantGroup,
    optionName: input.optionName,
    optionValue: input.optionValue,
  };
}

export async function createProduct(ctx: AdminContext, input: ProductInput): Promise<Saved<number>> {
  return unlessTaken(ctx.db, slugTaken, async (tx): Promise<Saved<number>> => {
    const refused = await checkCategory(tx, input.categoryId);
    if (refused) return refused;
    const [last] = await tx.select({ position: sql<number>`coalesce(max(${products.position}), -1)`.mapWith(Number) }).from(products);
    const [row] = await tx
      .insert(products)
      .values({ ...columnsOf(input), listed: input.listed, position: last!.position + 1, createdAt: ctx.clock.now() })
      .returning({ id: products.id, variantGroup: products.variantGroup, listed: products.listed });
    await unlistSiblings(tx, row!);
    return { ok: true, value: row!.id };
  });
}

/** Saves the form over product `id`; undefined when there is no such product. An archived product stays unlisted. */
export async function updateProduct(ctx: AdminContext, id: number, input: ProductInput): Promise<Saved<number> | undefined> {
  return unlessTaken(ctx.db, slugTaken, async (tx): Promise<Saved<number> | undefined> => {
    const [current] = await tx.select({ archivedAt: products.archivedAt }).from(products).where(eq(products.id, id)).for('update');
    if (!current) return undefined;
    const refused = await checkCategory(tx, input.categoryId);
    if (refused) return refused;
    const listed = input.listed && current.archivedAt === null;
    await tx.update(products).set({ ...columnsOf(input), listed }).where(eq(products.id, id));
    await unlistSiblings(tx, { id, variantGroup: input.variantGroup, listed });
    return { ok: true, value: id };
  });
}

/**
 * Puts an archived product back on sale. It is listed again unless its variant group already shows through another
 * product. False when the product is not archived (or not there).
 */
export async function unarchiveProduct(ctx: AdminContext, id: number): Promise<boolean> {
  return inTransaction(ctx.db, async (tx) => {
    const [product] = await tx
      .select({ variantGroup: products.variantGroup })
      .from(products)
      .where(and(eq(products.id, id), isNotNull(products.archivedAt)))
      .for('update');
    if (!product) return false;
    const [shown] =
      product.variantGroup === null
        ? []
        : await tx
            .select({ id: products.id })
            .from(products)
            .where(and(eq(products.variantGroup, product.variantGroup), eq(products.listed, true), isNull(products.archivedAt)))
            .limit(1);
    await tx.update(products).set({ archivedAt: null, listed: !shown }).where(eq(products.id, id));
    return true;
  });
}

export const StockChange = z.object({
  change: z
    .string({ error: 'Enter a change like 12 or -3' })
    .trim()
    .regex(/^[+-]?\d{1,7}$/, 'Enter a change like 12 or -3')
    .transform(Number)
    .pipe(z.number().refine((n) => n !== 0, 'Enter a change other than 0')),
});

export type StockResult = { ok: true; stock: number } | { ok: false; message: string };

/**
 * Adds `change` (negative to remove) to the stock in one conditional update, so sales made meanwhile are kept and
 * the stock never goes below zero. Undefined when there is no such product.
 */
export async function adjustStock(ctx: AdminContext, id: number, change: number): Promise<StockResult | undefined> {
  const [row] = await ctx.db
    .update(products)
    .set({ stock: sql`${products.stock} + ${change}` })
    .where(and(eq(products.id, id), sql`${products.stock} + ${change} between 0 and ${MAX_STOCK}`))
    .returning({ stock: products.stock });
  if (row) return { ok: true, stock: row.stock };
  const product = await findAdminProduct(ctx, id);
  if (!product) return undefined;
  return {
    ok: false,
    message: change < 0 ? `Only ${product.stock} in stock: remove at most ${product.stock}` : `The stock can be at most ${MAX_STOCK}: add at most ${MAX_STOCK - product.stock}`,
  };
}

// ── delivery options ─────────────────────────────────────────────────────────────────────────────────────────────

export type ShippingOption = typeof shippingOptions.$inferSelect;

const shippingFields = {
  name: text('the name customers see', 80),
  description: text('a description', 300),
  price: dollars('the price'),
  /** Blank: never free. */
  freeFrom: z
    .string()
    .trim()
    .optional()
    .transform((v) => v || undefined)
    .pipe(dollars('the amount from which it is free').optional())
    .transform((v) => v ?? null),
  minDays: wholeNumber('Enter the fewest business days, from 0 to 60', 0, 60),
  maxDays: wholeNumber('Enter the most business days, from 0 to 60', 0, 60),
  active: checkbox,
};
const daysInOrder = (o: { minDays: number; maxDays: number }) => o.minDays <= o.maxDays;
const daysMessage = { path: ['maxDays'], message: 'The most days cannot be fewer than the fewest' };

export const ShippingOptionForm = z.object(shippingFields).refine(daysInOrder, daysMessage);
export const NewShippingOptionForm = z
  .object({
    code: z
      .string({ error: 'Enter a code' })
      .trim()
      .min(1, 'Enter a code')
      .max(40, 'Use at most 40 characters')
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'Use lower-case letters, digits and single hyphens, like next-day')
      .refine((code) => code !== 'new', 'Choose another code: “new” is the address of this form'),
    ...shippingFields,
  })
  .refine(daysInOrder, daysMessage);
export const SHIPPING_FIELDS = ['code', 'name', 'description', 'price', 'freeFrom', 'minDays', 'maxDays', 'active'] as const;

export async function listShippingOptions(ctx: AdminContext): Promise<ShippingOption[]> {
  return ctx.db.select().from(shippingOptions).orderBy(asc(shippingOptions.position), asc(shippingOptions.code));
}

export async function findShippingOption(ctx: AdminContext, code: string): Promise<ShippingOption | undefined> {
  const [row] = await ctx.db.select().from(shippingOptions).where(eq(shippingOptions.code, code));
  return row;
}

type ShippingInput = z.output<typeof ShippingOptionForm>;
const shippingColumns = (o: ShippingInput) => ({
  name: o.name,
  description: o.description,
  priceCents: o.price,
  freeFromCents: o.freeFrom,
  minDays: o.minDays,
  maxDays: o.maxDays,
  active: o.active,
});

/** False when there is no such option. Orders keep the name and price they were placed with. */
export async function updateShippingOption(ctx: AdminContext, code: string, input: ShippingInput): Promise<boolean> {
  const rows = await ctx.db.update(shippingOptions).set(shippingColumns(input)).where(eq(shippingOptions.code, code)).returning({ code: shippingOptions.code });
  return rows.length > 0;
}

export async function addShippingOption(ctx: AdminContext, input: z.output<typeof NewShippingOptionForm>): Promise<Saved<string>> {
  return unlessTaken(ctx.db, { code: 'There is already an option with this code' }, async (tx): Promise<Saved<string>> => {
    const [last] = await tx.select({ position: sql<number>`coalesce(max(${shippingOptions.position}), -1)`.mapWith(Number) }).from(shippingOptions);
    await tx.insert(shippingOptions).values({ code: input.code, ...shippingColumns(input), position: last!.position + 1 });
    return { ok: true, value: input.code };
  });
}

// ── tax table ────────────────────────────────────────────────────────────────────────────────────────────────────

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** The English name of an ISO 3166 country code, or undefined when it names no country. */
export function regionName(code: string): string | undefined {
  try {
    const name = regionNames.of(code);
    return name && name !== 'Unknown Region' ? name : undefined;
  } catch {
    return undefined;
  }
}

export type TaxRate = typeof taxRates.$inferSelect;

export const TaxRateForm = z.object({ rate: percent });
export const NewTaxRateForm = z.object({
  country: z
    .string({ error: 'Enter a country code' })
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, 'Enter the two-letter country code, like JP')
    .refine((code) => regionName(code) !== undefined, 'That is not a country code: use two letters, like JP'),
  name: text('the name of the tax, like VAT', 40),
  rate: percent,
});
export const TAX_FIELDS = ['country', 'name', 'rate'] as const;

/** False when the country is not in the table. Orders keep the rate they were placed with. */
export async function updateTaxRate(ctx: AdminContext, country: string, rateBasisPoints: number): Promise<boolean> {
  const rows = await ctx.db.update(taxRates).set({ rateBasisPoints }).where(eq(taxRates.country, country)).returning({ country: taxRates.country });
  return rows.length > 0;
}

/** Adds a country the shop ships to, at its tax rate. */
export async function addTaxRate(ctx: AdminContext, input: z.output<typeof NewTaxRateForm>): Promise<Saved<string>> {
  return unlessTaken(ctx.db, { country: 'This country is already in the table: change its rate there' }, async (tx): Promise<Saved<string>> => {
    await tx.insert(taxRates).values({ country: input.country, name: input.name, rateBasisPoints: input.rate });
    return { ok: true, value: input.country };
  });
}
