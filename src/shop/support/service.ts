import { z } from 'zod';
import type { Purpose } from '../../privacy/inventory.ts';
import type { OrderContact } from '../orders/service.ts';

// What support may open of an order, and why: the customer's contact details, for helping them or for after-sales.
// The read itself is orderForStaff's, which checks the role's field view and records the audit event.

export const REVEAL_PURPOSES = ['customer_support', 'after_sales'] as const satisfies readonly Purpose[];
export type RevealPurpose = (typeof REVEAL_PURPOSES)[number];

export const RevealForm = z.object({ purpose: z.enum(REVEAL_PURPOSES, { error: 'Choose why you need the contact details' }) });

export const CONTACT_FIELDS = ['recipientName', 'email', 'phone', 'address'] as const satisfies readonly (keyof OrderContact)[];
