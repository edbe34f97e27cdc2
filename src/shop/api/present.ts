import type { z } from 'zod';
import { isErased, type Erased } from '../../privacy/vault/service.ts';
import type { CartView } from '../cart/service.ts';
import type { Product } from '../catalog/schema.ts';
import { pictureUrl } from '../catalog/images.ts';
import { variantLabel, type ProductCard as Card, type ProductPage as Listing, type Variant } from '../catalog/service.ts';
import { LOW_STOCK } from '../catalog/views.ts';
import type { OrderDetail } from '../orders/service.ts';
import type { Cart, Order, ProductCard, ProductDetail, ProductPage } from './contract.ts';

// What the services answer, as the store API's documented shapes: explicit fields only, so that a column added to a
// service's result never leaks into an answer unannounced, and dates as ISO strings.

type CardFields = Pick<Card, 'slug' | 'name' | 'brand' | 'summary' | 'priceCents' | 'stock' | 'optionName' | 'optionValue' | 'categorySlug' | 'categoryName' | 'variantCount' | 'picture'>;

function card(p: CardFields): z.input<typeof ProductPage>['products'][number] {
  return {
    slug: p.slug,
    name: p.name,
    brand: p.brand,
    summary: p.summary,
    priceCents: p.priceCents,
    ...availabilityOf(p.stock),
    category: { slug: p.categorySlug, name: p.categoryName },
    image: pictureUrl(p),
    ...optional('variant', variantLabel(p)),
    variantCount: p.variantCount,
  };
}

function availabilityOf(stock: number): Pick<z.input<typeof ProductCard>, 'availability' | 'stockLeft'> {
  if (stock === 0) return { availability: 'out_of_stock' };
  return stock < LOW_STOCK ? { availability: 'low_stock', stockLeft: stock } : { availability: 'in_stock' };
}

/** `{ [key]: value }`, or nothing when there is no value: JSON answers leave absent fields out rather than null. */
export function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

export function productDetail(product: Product & Pick<Card, 'categorySlug' | 'categoryName' | 'picture'>, variants: Variant[]): z.input<typeof ProductDetail> {
  return {
    ...card({ ...product, variantCount: variants.length }),
    description: product.description,
    variants: variants.map((v) => ({ slug: v.slug, ...optional('variant', variantLabel(v)), priceCents: v.priceCents, ...availabilityOf(v.stock) })),
  };
}

export const productPage = (listing: Listing): z.input<typeof ProductPage> => ({
  products: listing.products.map(card),
  page: listing.page,
  perPage: listing.perPage,
  total: listing.total,
});

export const cartBody = (cart: CartView): z.input<typeof Cart> => ({
  lines: cart.lines.map((line) => ({
    slug: line.slug,
    name: line.name,
    brand: line.brand,
    ...optional('variant', line.variant),
    unitPriceCents: line.unitPriceCents,
    quantity: line.quantity,
    lineTotalCents: line.lineTotalCents,
    stock: line.stock,
    ...optional('stockWarning', line.stockWarning),
  })),
  itemCount: cart.itemCount,
  subtotalCents: cart.subtotalCents,
});

const opened = (value: string | Erased | undefined) => (value === undefined || isErased(value) ? undefined : value);

export function orderBody({ order, lines, events, contact, card }: OrderDetail): z.input<typeof Order> {
  const { address } = contact;
  return {
    number: order.number,
    status: order.status,
    placedAt: order.placedAt.toISOString(),
    payBy: order.payBy.toISOString(),
    ...(order.paidAt ? { paidAt: order.paidAt.toISOString() } : {}),
    ...optional('email', opened(contact.email)),
    delivery: {
      option: order.shippingOptionName,
      ...optional('recipientName', opened(contact.recipientName)),
      ...(isErased(address)
        ? {}
        : {
            address: {
              line1: address.line1,
              ...optional('line2', address.line2),
              city: address.city,
              ...optional('region', address.region),
              postcode: address.postcode,
              country: address.country,
            },
          }),
      ...optional('phone', opened(contact.phone)),
      ...optional('carrier', order.carrier ?? undefined),
      ...optional('trackingNumber', order.trackingNumber ?? undefined),
    },
    lines: lines.map((l) => ({
      slug: l.slug,
      name: l.name,
      ...optional('variant', l.variant ?? undefined),
      unitPriceCents: l.unitPriceCents,
      quantity: l.quantity,
      lineTotalCents: l.lineTotalCents,
    })),
    subtotalCents: order.subtotalCents,
    shippingCents: order.shippingCents,
    taxCents: order.taxCents,
    totalCents: order.totalCents,
    currency: order.currency,
    ...(card ? { card } : {}),
    events: events.map((e) => ({ kind: e.kind, at: e.at.toISOString() })),
  };
}
