import { customType } from 'drizzle-orm/pg-core';

/** Binary column; PGlite hands back Uint8Array and node-postgres Buffer, so both become Buffer. */
export const bytea = customType<{ data: Buffer; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => Buffer.from(value),
});
