// What fulfilment needs from a carrier. TestShip implements it in-process; a real carrier's module would implement
// the same function over its API, and fulfilment would not change. The parcel is exactly what the logistics
// processor may receive (DESIGN.md §5): it reaches the carrier only through `disclose()`.

export type ParcelAddress = { line1: string; line2?: string | undefined; city: string; region?: string | undefined; postcode: string; country: string };

export type Parcel = {
  recipientName: string;
  shippingAddress: ParcelAddress;
  /** Present only when the customer gave one. */
  phone?: string;
  parcelContents: { name: string; quantity: number }[];
  parcelWeightGrams: number;
};

export type Shipment = { carrier: string; trackingNumber: string };

export type Carrier = {
  name: string;
  /** Books the parcel and answers its tracking number. The same key always books the same parcel, so a retry cannot ship twice. */
  ship(parcel: Parcel, idempotencyKey: string): Promise<Shipment>;
};
