import { sql } from 'drizzle-orm';
import { inTransaction } from '../../platform/db/index.ts';
import type { CatalogContext } from './service.ts';
import { categories, products } from './schema.ts';
import { demoCategories, demoItems, demoProducts, withoutVariants, type DemoItem } from './demo-data.ts';

export type SeedResult = { seeded: boolean; categories: number; products: number };

const BATCH = 500;

/**
 * Fills an empty catalogue with the demo data (products and their variants), plus `extraProducts` generated
 * variations for load tests, which have no variants of their own. A catalogue that already has products is left
 * alone, so a second start reuses the data.
 */
export async function seedDemoCatalog(
  ctx: CatalogContext,
  { extraProducts = 0, onProgress }: { extraProducts?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<SeedResult> {
  return inTransaction(ctx.db, async (tx) => {
    // Serialises concurrent seeders (two instances starting on one empty PostgreSQL).
    await tx.execute(sql`lock table ${products} in exclusive mode`);
    const [existing] = await tx.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(products);
    if (existing && existing.n > 0) return { seeded: false, categories: 0, products: 0 };

    const inserted = await tx
      .insert(categories)
      .values(demoCategories.map((c, position) => ({ ...c, position })))
      .returning({ id: categories.id, slug: categories.slug });
    const categoryIds = new Map(inserted.map((c) => [c.slug, c.id]));

    const all = [...demoItems(), ...generatedProducts(extraProducts)];
    const now = ctx.clock.now();
    for (let start = 0; start < all.length; start += BATCH) {
      const batch = all.slice(start, start + BATCH).map((p, i) => ({
        slug: p.slug,
        name: p.name,
        brand: p.brand,
        categoryId: categoryIds.get(p.category)!,
        summary: p.summary,
        description: p.description,
        priceCents: p.priceCents,
        stock: p.stock,
        swatch: p.swatch,
        weightGrams: p.weightGrams,
        variantGroup: p.variantGroup,
        optionName: p.optionName,
        optionValue: p.optionValue,
        listed: p.listed,
        position: start + i,
        createdAt: now,
      }));
      await tx.insert(products).values(batch);
      onProgress?.(Math.min(start + BATCH, all.length), all.length);
    }
    return { seeded: true, categories: inserted.length, products: all.length };
  });
}

const SHADES = ['Porcelain', 'Ivory', 'Sand', 'Honey', 'Caramel', 'Almond', 'Chestnut', 'Espresso', 'Rose', 'Coral', 'Plum', 'Berry'];
const EDITIONS = ['Travel Size', 'Refill', 'Limited Edition', 'Duo', 'Mini', 'Value Size'];

/** Variations of the demo products (shade × edition) so a large catalogue still reads like a shop. */
function generatedProducts(count: number): DemoItem[] {
  const out: DemoItem[] = [];
  for (let i = 0; i < count; i++) {
    const base = withoutVariants(demoProducts[i % demoProducts.length]!);
    const shade = SHADES[Math.floor(i / demoProducts.length) % SHADES.length]!;
    const edition = EDITIONS[Math.floor(i / (demoProducts.length * SHADES.length)) % EDITIONS.length]!;
    out.push({
      ...base,
      slug: `${base.slug}-${shade.toLowerCase()}-${edition.toLowerCase().replace(/ /g, '-')}-${i}`,
      name: `${base.name} — ${shade}, ${edition}`,
      priceCents: base.priceCents + (i % 7) * 100,
      stock: (i * 37) % 150,
    });
  }
  return out;
}
