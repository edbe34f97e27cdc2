import { z } from 'zod';
import { LoginForm, ProfileForm, RegisterForm } from '../accounts/routes.ts';
import { Slug } from '../cart/routes.ts';
import { MAX_LINE_QUANTITY } from '../cart/service.ts';
import { Page, PRODUCTS_PER_PAGE, SearchWords } from '../catalog/routes.ts';
import { LISTING_SORTS, SEARCH_SORTS } from '../catalog/service.ts';
import { LOW_STOCK } from '../catalog/views.ts';
import { CheckoutDetails } from '../checkout/service.ts';
import { ORDER_EVENT_KINDS, ORDER_STATUSES } from '../orders/schema.ts';
import { REQUEST_KINDS, REQUEST_STATUSES } from '../../privacy/requests/schema.ts';
import { CodeForm, GuestForm, Password } from '../privacy-center/routes.ts';

// What the store API accepts and answers, as zod schemas: the routes parse every input with them and the OpenAPI
// document is generated from them, so the two cannot drift. Input schemas reuse the HTML forms' fields (and their
// messages) wherever the input is the same; amounts are integer US cents everywhere.

const cents = (description: string) => z.number().int().min(0).describe(`${description}, in US cents`);

// ---- inputs ----

const PER_PAGE_MESSAGE = 'perPage must be a whole number from 1 to 100';
const PerPage = z.coerce.number({ error: PER_PAGE_MESSAGE }).int(PER_PAGE_MESSAGE).min(1, PER_PAGE_MESSAGE).max(100, PER_PAGE_MESSAGE).default(PRODUCTS_PER_PAGE);

export const ProductListQuery = z.object({
  page: Page,
  perPage: PerPage,
  sort: z.enum(LISTING_SORTS, { error: `sort must be one of ${LISTING_SORTS.join(', ')}` }).default('featured'),
  category: Slug.optional().describe('Only products of the category with this slug'),
});

export const SearchQuery = z.object({
  q: SearchWords.pipe(z.string().min(1, 'q must name what to search for')).describe('Words to search for; spelling mistakes are tolerated'),
  sort: z.enum(SEARCH_SORTS, { error: `sort must be one of ${SEARCH_SORTS.join(', ')}` }).default('relevance'),
  page: Page,
  perPage: PerPage,
});

export const SlugParams = z.object({ slug: Slug });

export const NewLine = z.object({
  slug: Slug.describe('The product'),
  quantity: quantity(1).describe('How many to add to what the cart already holds'),
});

export const LineQuantity = z.object({ quantity: quantity(0).describe('The new quantity; 0 removes the line') });

function quantity(min: number) {
  const message = `quantity must be a whole number from ${min} to ${MAX_LINE_QUANTITY}`;
  return z.number({ error: message }).int(message).min(min, message).max(MAX_LINE_QUANTITY, message);
}

export const Registration = RegisterForm.extend({
  adult: z.literal(true, { error: 'You must be 18 or older to have an account' }).describe('Confirms that the customer is 18 or older'),
});

export const Credentials = LoginForm;

const KEY_MESSAGE = 'Idempotency-Key must be 8 to 200 visible ASCII characters: a new random one (a UUID) for each order';

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string({ error: KEY_MESSAGE })
    .regex(/^[\x21-\x7e]{8,200}$/, KEY_MESSAGE)
    .describe('Names the order: the same key again answers the order it placed, and never places or charges twice'),
});

export const CheckoutRequest = CheckoutDetails.extend({
  cardToken: z
    .string({ error: 'cardToken must be a card token from TestPay' })
    .min(1, 'cardToken must be a card token from TestPay')
    .max(2000, 'cardToken must be a card token from TestPay')
    .describe('A token from TestPay’s POST /testpay/tokens: the card number never reaches the shop'),
  expectedSubtotalCents: z
    .number({ error: 'expectedSubtotalCents must be a whole number of cents' })
    .int('expectedSubtotalCents must be a whole number of cents')
    .min(0, 'expectedSubtotalCents must be a whole number of cents')
    .optional()
    .describe('The subtotal the customer was shown: when prices have changed since, nothing is placed (price_changed)'),
});

const ORDER_NUMBER_MESSAGE = 'An order number is a P and digits, like P100001';
export const OrderParams = z.object({ number: z.string().regex(/^[Pp]\d{1,18}$/, ORDER_NUMBER_MESSAGE) });

export const ProfileChange = ProfileForm;

// ---- answers ----

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('Stable, machine-readable: invalid_input, not_found, unauthorized, rate_limited…'),
      message: z.string().describe('For a person to read'),
      fields: z.record(z.string(), z.string()).optional().describe('Per-field messages, for invalid_input'),
    }),
  })
  .describe('Every 4xx and 5xx answer');

const CategoryRef = z.object({ slug: z.string(), name: z.string() });

// What the product pages say about stock, and no more: a sale that leaves a product "in stock" does not change the
// catalogue's version, so an exact count here could be stale; the cart, read live, has the exact stock.
const AVAILABILITY = ['in_stock', 'low_stock', 'out_of_stock'] as const;
const availability = {
  availability: z.enum(AVAILABILITY).describe(`low_stock: fewer than ${LOW_STOCK} left`),
  stockLeft: z.number().int().min(1).max(LOW_STOCK - 1).optional().describe('How many are left, when low_stock'),
};

export const ProductCard = z.object({
  slug: z.string(),
  name: z.string(),
  brand: z.string(),
  summary: z.string(),
  priceCents: cents('Price of one'),
  ...availability,
  category: CategoryRef,
  image: z.string().describe('Path of the product picture (SVG)'),
  variant: z.string().optional().describe('The shade or size, “Shade: 02 Rose”, for a product with variants'),
  variantCount: z.number().int().min(0).describe('Products in its variant group, itself included; 0 when it has no variants'),
});

export const ProductDetail = ProductCard.extend({
  description: z.string(),
  variants: z
    .array(z.object({ slug: z.string(), variant: z.string().optional(), priceCents: cents('Price of one'), ...availability }))
    .describe('Every variant of its group on sale, itself included, in the shop’s order; empty when it has none'),
});

export const ProductPage = z.object({
  products: z.array(ProductCard),
  page: z.number().int().min(1),
  perPage: z.number().int().min(1),
  total: z.number().int().min(0).describe('Products in the whole listing or search, over all pages'),
});

export const CategoryList = z.object({
  categories: z.array(z.object({ slug: z.string(), name: z.string(), description: z.string() })),
});

export const Cart = z.object({
  cartToken: z
    .string()
    .optional()
    .describe('A visitor cart’s token, after a change: send it back as X-Cart-Token. Never present for a customer’s cart.'),
  lines: z.array(
    z.object({
      slug: z.string(),
      name: z.string(),
      brand: z.string(),
      variant: z.string().optional().describe('The shade or size, for a product with variants'),
      unitPriceCents: cents('Price of one, read live from the catalogue'),
      quantity: z.number().int().min(1),
      lineTotalCents: cents('unitPriceCents × quantity'),
      stock: z.number().int().min(0),
      stockWarning: z.string().optional().describe('Set when the line cannot be bought as it is: the stock fell below its quantity, or the product left the shop'),
    }),
  ),
  itemCount: z.number().int().min(0),
  subtotalCents: cents('Sum of the lines'),
});

export const Accepted = z.object({ message: z.string() });

export const Session = z.object({
  token: z.string().describe('Send as `Authorization: Bearer <token>`. Ends after 7 days unused or 30 days in all.'),
  tokenType: z.literal('Bearer'),
});

export const Profile = z.object({ name: z.string(), email: z.string() });

export const CheckoutOptions = z.object({
  shippingOptions: z.array(
    z.object({
      code: z.string().describe('What `shippingOption` takes'),
      name: z.string(),
      description: z.string(),
      priceCents: cents('Price of delivery'),
      freeFromCents: cents('Subtotal from which delivery is free').optional(),
      minDays: z.number().int().min(0),
      maxDays: z.number().int().min(0),
    }),
  ),
  countries: z.array(z.object({ code: z.string().describe('What `address.country` takes'), name: z.string() })),
});

const timestamp = z.iso.datetime();

export const OrderList = z.object({
  orders: z.array(
    z.object({
      number: z.string(),
      status: z.enum(ORDER_STATUSES),
      placedAt: timestamp,
      totalCents: cents('Total paid or due'),
      currency: z.string(),
      itemCount: z.number().int().min(0),
      trackingNumber: z.string().optional(),
    }),
  ),
});

const opened = (description: string) => z.string().optional().describe(`${description}; absent once erased`);

export const Order = z.object({
  number: z.string(),
  status: z.enum(ORDER_STATUSES),
  placedAt: timestamp,
  payBy: timestamp.describe('An order not paid by then is cancelled'),
  paidAt: timestamp.optional(),
  email: opened('Where the order’s messages go'),
  delivery: z.object({
    option: z.string(),
    recipientName: opened('Who receives the parcel'),
    address: z
      .object({ line1: z.string(), line2: z.string().optional(), city: z.string(), region: z.string().optional(), postcode: z.string(), country: z.string() })
      .optional()
      .describe('Absent once erased'),
    phone: opened('For the carrier only'),
    carrier: z.string().optional(),
    trackingNumber: z.string().optional(),
  }),
  lines: z.array(
    z.object({
      slug: z.string(),
      name: z.string(),
      variant: z.string().optional(),
      unitPriceCents: cents('Price of one when the order was placed'),
      quantity: z.number().int().min(1),
      lineTotalCents: cents('unitPriceCents × quantity'),
    }),
  ),
  subtotalCents: cents('Sum of the lines'),
  shippingCents: cents('Delivery'),
  taxCents: cents('Sales tax on goods and delivery'),
  totalCents: cents('subtotal + shipping + tax'),
  currency: z.string(),
  card: z.object({ brand: z.string(), last4: z.string() }).optional().describe('The card that paid, when paid'),
  events: z.array(z.object({ kind: z.enum(ORDER_EVENT_KINDS), at: timestamp })).describe('The order’s history, oldest first'),
});

// ---- privacy ----

export const RequestParams = z.object({ id: z.uuid().describe('A privacy request’s id') });

export const ErasureRequest = z.object({
  password: Password.describe('The account’s password, to confirm that it is its owner asking'),
  confirm: z.literal(true, { error: 'confirm must be true: erasure cannot be undone' }).describe('Confirms that the caller understands erasure cannot be undone'),
});

export const GuestRequest = GuestForm.describe('A request by someone without an account, for what is held under an e-mail address');

export const GuestVerification = CodeForm.describe('The address again and the 6-digit code mailed to it');

export const PrivacyRequestList = z.object({
  requests: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(REQUEST_KINDS).describe('access: a copy; erasure: deletion; minor: a review of the account'),
      status: z.enum(REQUEST_STATUSES).describe('awaiting_identity: we have written asking the customer to prove who they are'),
      receivedAt: timestamp,
      dueAt: timestamp.describe('The latest day the request is answered: never more than 15 business days after receipt'),
      completedAt: timestamp.optional(),
    }),
  ),
});

export const CopyRequested = z.object({ requestId: z.string(), message: z.string() });

export const CopyStatus = z.object({
  requestId: z.string(),
  status: z.enum(['preparing', 'ready', 'downloaded', 'expired']).describe('ready: the single-use link has been e-mailed; it works once, within 3 days'),
  receivedAt: timestamp,
  readyAt: timestamp.optional(),
  expiresAt: timestamp.optional().describe('When the link stops working, once the copy is ready'),
});

export const ErasureOutcome = z.object({
  requestId: z.string().optional().describe('The request’s reference, as in the confirmation e-mail'),
  cancelled: z
    .array(z.object({ number: z.string(), totalCents: z.number().int().min(0), refunded: z.boolean().describe('Paid, so refunded in full to the card') }))
    .describe('Orders not sent yet, cancelled because they could no longer be delivered'),
  erased: z.array(z.object({ kind: z.string(), label: z.string(), count: z.number().int().min(0) })).describe('Deleted now'),
  held: z
    .array(z.object({ kind: z.string(), label: z.string(), count: z.number().int().min(0), until: z.string().describe('YYYY-MM-DD'), why: z.string() }))
    .describe('Kept because the law requires it: encrypted, out of staff’s sight, destroyed on `until`'),
});

export const GuestRequestStarted = z.object({
  requestId: z.string().describe('Send the code to /privacy/guest-requests/{requestId}/verification'),
  message: z.string(),
});

export const GuestVerified = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('access'), downloadUrl: z.string().describe('The copy’s single-use page (also e-mailed): it works once, within 3 days') }),
  ErasureOutcome.extend({ kind: z.literal('erasure') }),
]);
