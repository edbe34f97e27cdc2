import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Executor } from '../../platform/db/index.ts';
import { html, type Html } from '../../platform/http/html.ts';
import type { RouteAccess, StaffActor } from '../../privacy/access.ts';
import { staffGuard, type DeskLink } from '../../privacy/staff/routes.ts';
import type { VaultContext } from '../../privacy/vault/service.ts';
import type { Order } from '../orders/schema.ts';
import { findOrderByNumber } from '../orders/service.ts';

// What the back office shares: its pages as the dashboard links them (the app hands this list to the staff routes,
// since the privacy engine never imports the shop), the menu on every back-office page, and the guard each route
// puts in front of its handler.

export const BACK_OFFICE_DESK: readonly DeskLink[] = [
  { href: '/admin/products', label: 'Products', allow: ['admin'] },
  { href: '/admin/shipping', label: 'Shipping options', allow: ['admin'] },
  { href: '/admin/tax', label: 'Tax rates', allow: ['admin'] },
  { href: '/admin/analytics', label: 'Browsing analytics', allow: ['admin'] },
  { href: '/admin/fulfilment', label: 'Orders to ship', allow: ['fulfilment'] },
  { href: '/admin/orders', label: 'Order look-up', allow: ['support'] },
  { href: '/admin/support/tickets', label: 'Customer service', allow: ['support', 'privacy_officer'] },
  { href: '/admin/privacy', label: 'Privacy requests', allow: ['privacy_officer'] },
  { href: '/admin/policy', label: 'Privacy policy', allow: ['privacy_officer'] },
  { href: '/admin/privacy/retention', label: 'Retention', allow: ['privacy_officer'] },
  { href: '/admin/privacy/holds', label: 'Legal holds', allow: ['privacy_officer'] },
  { href: '/admin/conformance', label: 'Conformance report', allow: ['privacy_officer'] },
  { href: '/admin/incidents', label: 'Incidents', allow: ['privacy_officer'] },
  { href: '/admin/security', label: 'Security alerts', allow: ['privacy_officer'] },
  { href: '/admin/privacy/minors', label: 'Flag a suspected minor', allow: ['support'] },
];

/** The back-office menu for `staff`: the dashboard and the pages their roles open, the current one marked. */
export function deskNav(staff: StaffActor, current: string): Html {
  const links = BACK_OFFICE_DESK.filter((link) => link.allow.some((role) => staff.roles.includes(role)));
  return html`<a href="/admin">Back office</a>${links.map((link) => html`<a href="${link.href}"${link.href === current ? html` aria-current="page"` : ''}>${link.label}</a>`)}`;
}

const OrderNumberParams = z.object({ number: z.string().regex(/^[A-Za-z]?\d{1,12}$/) });

/** The order a back-office address names by its number (/admin/…/P100001), if there is one. */
export async function orderInAddress(db: Executor, request: FastifyRequest): Promise<Order | undefined> {
  const params = OrderNumberParams.safeParse(request.params);
  return params.success ? findOrderByNumber(db, params.data.number) : undefined;
}

export function staffGate(vault: VaultContext) {
  return {
    /** A route's access, declared beside its handler (see staffGuard). */
    guard: (access: RouteAccess) => staffGuard(vault, access),
    /** The member of staff the guard let through. */
    staff: (request: FastifyRequest): StaffActor => request.staff!,
  };
}
