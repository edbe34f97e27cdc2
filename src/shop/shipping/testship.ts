import { createHash } from 'node:crypto';
import { luhnValid } from '../payments/testpay/service.ts';
import type { Carrier, Parcel } from './carrier.ts';

// TestShip: a carrier run in-process for development and tests. It keeps nothing: the tracking number is derived
// from the booking's idempotency key, so booking the same parcel again answers the same number, as a real carrier's
// idempotent API would. Tracking numbers are "TS" and ten digits, the last a Luhn check digit.

export const TESTSHIP_NAME = 'TestShip';

/** The check digit that makes `digits` followed by it pass the Luhn check. */
function checkDigit(digits: string): string {
  return String([...'0123456789'].findIndex((d) => luhnValid(digits + d)));
}

function trackingNumberFor(idempotencyKey: string): string {
  const hash = createHash('sha256').update(`testship:${idempotencyKey}`).digest();
  const body = String(hash.readUInt32BE(0) % 1_000_000_000).padStart(9, '0');
  return `TS${body}${checkDigit(body)}`;
}

function assertBookable(parcel: Parcel): void {
  // What a carrier's API would refuse with a 400: the shop built the parcel, so it is a bug, not a customer's error.
  if (!parcel.recipientName || !parcel.shippingAddress.line1 || parcel.parcelContents.length === 0 || parcel.parcelWeightGrams <= 0) {
    throw new Error('TestShip: the parcel lacks a recipient, an address, contents or a weight');
  }
}

export function testShip(): Carrier {
  return {
    name: TESTSHIP_NAME,
    async ship(parcel, idempotencyKey) {
      assertBookable(parcel);
      return { carrier: TESTSHIP_NAME, trackingNumber: trackingNumberFor(idempotencyKey) };
    },
  };
}
