import { desc } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import type { Html } from '../../platform/http/html.ts';
import { parseForm } from '../../platform/http/forms.ts';
import { TOKEN_PATTERN } from '../../platform/secrets.ts';
import { requireAccess, type Actor, type RouteAccess, type StaffActor } from '../access.ts';
import { auditEvents } from '../audit/schema.ts';
import { keyringFrom, type VaultContext } from '../vault/service.ts';
import { completeSetup, findSetup, sessionActor, signIn, signOut, staffEmail, type PendingSetup } from './service.ts';
import { adminHome, loginPage, recoveryCodesPage, setupPage, type DeskLink } from './views.ts';

export type { DeskLink };

export const STAFF_COOKIE = 'pledge_staff';

const LoginForm = z.object({
  email: z.email('Enter the e-mail address of your staff account').max(254),
  password: z.string().min(1, 'Enter your password').max(200, 'That is too long for a password'),
  code: z.string().trim().min(1, 'Enter the code from your authenticator app').max(20, 'That is not a code'),
});

const SetupForm = z
  .object({
    password: z.string().min(12, 'Use at least 12 characters').max(200, 'Use at most 200 characters'),
    confirm: z.string(),
    code: z.string().trim().regex(/^\d{6}$/, 'Enter the 6-digit code from your app'),
  })
  .refine((f) => f.password === f.confirm, { path: ['confirm'], message: 'The passwords do not match' });

const SetupParams = z.object({ token: z.string().regex(TOKEN_PATTERN) });

declare module 'fastify' {
  interface FastifyRequest {
    staff?: StaffActor;
  }
}

/** The signed-in staff member, if any, for routes that need one. */
export async function staffFor(vault: VaultContext, request: FastifyRequest): Promise<StaffActor | undefined> {
  if (request.staff) return request.staff;
  const token = request.cookies[STAFF_COOKIE];
  if (!token) return undefined;
  request.staff = await sessionActor(vault, token);
  return request.staff;
}

/** What a back-office route puts before its handler: someone signed out is sent to sign in, staff without the role get a 403. */
export function staffGuard(vault: VaultContext, access: RouteAccess) {
  const visitor: Actor = { kind: 'visitor' };
  async function signedIn(request: FastifyRequest, reply: FastifyReply) {
    if (!(await staffFor(vault, request))) return reply.redirect('/admin/login', 303);
  }
  return [signedIn, requireAccess(access, async (request) => (await staffFor(vault, request)) ?? visitor)];
}

/** `desk`: the pages other features offer staff, each linked from the dashboard for the roles it allows. */
export function staffRoutes(app: FastifyInstance, { database, clock, layout, config, masterKey }: Platform, desk: readonly DeskLink[] = []) {
  const vault: VaultContext = { db: database.db, clock, keys: keyringFrom(masterKey) };
  const secure = config.env === 'production';
  const page = (reply: FastifyReply, title: string, body: Html, status = 200) => sendPrivatePage(reply, layout.page({ title, body }), status);

  // The set-up link's pending account, or undefined for a malformed, used or expired link.
  async function pendingSetup(request: FastifyRequest) {
    const params = SetupParams.safeParse(request.params);
    const setup = params.success ? await findSetup(vault, params.data.token) : undefined;
    return setup && { token: params.data!.token, setup };
  }

  async function showSetup(reply: FastifyReply, { token, setup }: { token: string; setup: PendingSetup }, errors: Record<string, string> = {}, status = 200) {
    const qrSvg = await QRCode.toString(setup.otpauthUri, { type: 'svg', margin: 1 });
    return page(reply, 'Set up your account', setupPage(csrfField(reply), token, { email: setup.email, secret: setup.secret, qrSvg }, errors), status);
  }
  // Sign-in and set-up are the routes worth guessing at: a tighter limit than other forms.
  const strict = { rateLimit: { max: 10, timeWindow: '1 minute' } };

  app.get('/admin/login', async (request, reply) => {
    if (await staffFor(vault, request)) return reply.redirect('/admin', 303);
    return page(reply, 'Staff sign-in', loginPage(csrfField(reply)));
  });

  app.post('/admin/login', { config: strict }, async (request, reply) => {
    const form = parseForm(LoginForm, request.body, ['email']);
    if (!form.ok) return page(reply, 'Staff sign-in', loginPage(csrfField(reply), { email: form.values.email, errors: form.errors }), 400);
    const result = await signIn(vault, form.data);
    if (!result.ok) return page(reply, 'Staff sign-in', loginPage(csrfField(reply), { email: form.data.email, failed: true }), 401);
    // The session this browser had before (another member of staff's, or one planted on it) ends here.
    const previous = request.cookies[STAFF_COOKIE];
    if (previous) await signOut(vault, previous);
    reply.setCookie(STAFF_COOKIE, result.token, { path: '/admin', httpOnly: true, sameSite: 'strict', secure });
    return reply.redirect('/admin', 303);
  });

  app.post('/admin/logout', async (request, reply) => {
    const token = request.cookies[STAFF_COOKIE];
    if (token) await signOut(vault, token);
    reply.clearCookie(STAFF_COOKIE, { path: '/admin' });
    return reply.redirect('/admin/login', 303);
  });

  app.get('/admin/setup/:token', async (request, reply) => {
    const pending = await pendingSetup(request);
    return pending ? showSetup(reply, pending) : reply.callNotFound();
  });

  app.post('/admin/setup/:token', { config: strict }, async (request, reply) => {
    const pending = await pendingSetup(request);
    if (!pending) return reply.callNotFound();
    const form = parseForm(SetupForm, request.body, []);
    if (!form.ok) return showSetup(reply, pending, form.errors, 400);
    const done = await completeSetup(vault, pending.token, form.data);
    if (!done) return reply.callNotFound();
    if ('codeRejected' in done) return showSetup(reply, pending, { code: 'That code did not match; check the time on your device and try the next one' }, 400);
    return page(reply, 'Account ready', recoveryCodesPage(done.recoveryCodes));
  });

  app.get('/admin', async (request, reply) => {
    const staff = await staffFor(vault, request);
    if (!staff) return reply.redirect('/admin/login', 303);
    const email = (await staffEmail(vault, staff.staffId)) ?? '';
    const audit = staff.roles.includes('privacy_officer')
      ? await database.db
          .select({ id: auditEvents.id, at: auditEvents.at, staffId: auditEvents.staffId, staffRoles: auditEvents.staffRoles, subjectKind: auditEvents.subjectKind, fields: auditEvents.fields, purpose: auditEvents.purpose })
          .from(auditEvents)
          .orderBy(desc(auditEvents.id))
          .limit(100)
      : undefined;
    const mine = desk.filter((link) => link.allow.some((role) => staff.roles.includes(role)));
    return page(reply, 'Back office', adminHome(csrfField(reply), { email, roles: staff.roles }, mine, audit));
  });
}
