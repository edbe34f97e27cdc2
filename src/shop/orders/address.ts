import { z } from 'zod';

// A delivery address as checkout, the address book and the store API take it. The country must also be one the
// shop ships to (the tax table); that is the service's check, since the list is data.

const POSTCODES: Record<string, { pattern: RegExp; example: string }> = {
  US: { pattern: /^\d{5}(-\d{4})?$/, example: '94107' },
  CA: { pattern: /^[A-Z]\d[A-Z] ?\d[A-Z]\d$/, example: 'K1A 0B1' },
  GB: { pattern: /^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$/, example: 'SW1A 1AA' },
  IE: { pattern: /^[A-Z]\d{2} ?[A-Z\d]{4}$/, example: 'D02 X285' },
  DE: { pattern: /^\d{5}$/, example: '10115' },
  FR: { pattern: /^\d{5}$/, example: '75001' },
  NL: { pattern: /^\d{4} ?[A-Z]{2}$/, example: '1012 AB' },
  AU: { pattern: /^\d{4}$/, example: '2000' },
};

const line = (label: string, max: number) => z.string({ error: `Enter the ${label}` }).trim().min(1, `Enter the ${label}`).max(max, `Use at most ${max} characters`);
const optional = (max: number) => z.string().trim().max(max, `Use at most ${max} characters`).optional().transform((v) => (v ? v : undefined));

export const ShippingAddress = z
  .object({
    recipientName: line('name of the person receiving the parcel', 100),
    line1: line('street address', 120),
    line2: optional(120),
    city: line('town or city', 80),
    region: optional(80),
    postcode: z.string({ error: 'Enter the postcode' }).trim().toUpperCase().min(1, 'Enter the postcode').max(12, 'Use at most 12 characters'),
    country: z.string({ error: 'Choose a country' }).trim().toUpperCase().regex(/^[A-Z]{2}$/, 'Choose a country'),
    /** Only for the carrier, should they need to reach the recipient. */
    phone: z
      .string()
      .trim()
      .max(30, 'Use at most 30 characters')
      .regex(/^$|^\+?[\d ()./-]{6,30}$/, 'Enter a phone number with digits, spaces and an optional leading +')
      .optional()
      .transform((v) => (v ? v : undefined)),
  })
  .superRefine((a, issue) => {
    const rule = POSTCODES[a.country];
    if (rule && !rule.pattern.test(a.postcode)) issue.addIssue({ code: 'custom', path: ['postcode'], message: `Enter a postcode like ${rule.example}` });
  });
export type ShippingAddress = z.output<typeof ShippingAddress>;

export const COUNTRY_NAMES: Record<string, string> = {
  US: 'United States',
  CA: 'Canada',
  GB: 'United Kingdom',
  IE: 'Ireland',
  DE: 'Germany',
  FR: 'France',
  NL: 'Netherlands',
  AU: 'Australia',
};

export const countryName = (code: string) => COUNTRY_NAMES[code] ?? code;

/** The address as a label prints it, one line per element. */
export function addressLines(a: Omit<ShippingAddress, 'phone'>): string[] {
  return [a.recipientName, a.line1, a.line2, [a.city, a.region, a.postcode].filter(Boolean).join(' '), countryName(a.country)].filter((l): l is string => Boolean(l));
}
