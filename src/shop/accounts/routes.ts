import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { parseForm } from '../../platform/http/forms.ts';
import { TOKEN_PATTERN } from '../../platform/secrets.ts';
import type { Html } from '../../platform/http/html.ts';
import { inTransaction } from '../../platform/db/index.ts';
import { keyringFrom } from '../../privacy/vault/service.ts';
import { CART_COOKIE } from '../cart/routes.ts';
import { mergeVisitorCart } from '../cart/service.ts';
import {
  profile,
  register,
  requestPasswordReset,
  resetPassword,
  resetTokenValid,
  SESSION_COOKIE,
  SIGN_IN_LOCKED,
  signedInCustomer,
  signIn,
  signOut,
  updateName,
  verifyEmail,
  type AccountContext,
} from './service.ts';
import { ShippingAddress } from '../orders/address.ts';
import { shippingCountries } from '../checkout/service.ts';
import { addAddress, deleteAddress, findAddress, listAddresses, makeDefaultAddress, updateAddress, type AddressProblem } from './addresses.ts';
import {
  accountPage,
  ADDRESS_NOTICES,
  addressBookPage,
  addressFormPage,
  checkInboxPage,
  loginPage,
  messagePage,
  registerPage,
  resetPage,
  resetRequestPage,
  type AddressNotice,
} from './views.ts';


const name = z.string().trim().min(1, 'Enter your name').max(100, 'Use at most 100 characters');
const email = z.string().trim().pipe(z.email('Enter an e-mail address, like name@example.com').max(254, 'That address is too long'));
const newPassword = z.string().min(10, 'Use at least 10 characters').max(200, 'Use at most 200 characters');

export const RegisterForm = z.object({
  name,
  email,
  password: newPassword,
  adult: z.literal('yes', { error: 'You must be 18 or older to have an account' }),
});
export const LoginForm = z.object({ email, password: z.string().min(1, 'Enter your password').max(200, 'That is too long for a password') });
const ResetRequestForm = z.object({ email });
const ResetForm = z
  .object({ password: newPassword, confirm: z.string() })
  .refine((f) => f.password === f.confirm, { path: ['confirm'], message: 'The passwords do not match' });
export const ProfileForm = z.object({ name });
const TokenParams = z.object({ token: z.string().regex(TOKEN_PATTERN) });
const IdParams = z.object({ id: z.uuid() });
const ADDRESS_FIELDS = ['recipientName', 'line1', 'line2', 'city', 'region', 'postcode', 'country', 'phone'] as const;
const AddressNoticeQuery = z.object({ done: z.enum(Object.keys(ADDRESS_NOTICES) as [AddressNotice, ...AddressNotice[]]) });
/** A saved or parsed address as the form's values. */
const addressValues = (address: ShippingAddress): Record<string, string> =>
  Object.fromEntries(ADDRESS_FIELDS.flatMap((k) => (address[k] === undefined ? [] : [[k, address[k]]])));


export function accountRoutes(app: FastifyInstance, { database, clock, layout, config, masterKey, jobs, sealer }: Platform) {
  const ctx: AccountContext = { db: database.db, clock, keys: keyringFrom(masterKey), jobs, sealer, baseUrl: config.baseUrl, shopName: config.shop.name };
  const cookie = { path: '/', httpOnly: true, sameSite: 'lax', secure: config.env === 'production' } as const;
  // Registration, sign-in and reset are what scripts hammer: a tighter limit than other forms.
  const strict = { rateLimit: { max: 10, timeWindow: '1 minute' } };
  const page = (reply: FastifyReply, title: string, body: Html, status = 200) => sendPrivatePage(reply, layout.page({ title, body }), status);

  const customerOf = (request: FastifyRequest) => signedInCustomer(ctx, request);

  app.get('/account/register', (_request, reply) => page(reply, 'Create an account', registerPage(csrfField(reply))));

  app.post('/account/register', { config: strict }, async (request, reply) => {
    const form = parseForm(RegisterForm, request.body, ['name', 'email', 'adult']);
    if (!form.ok) return page(reply, 'Create an account', registerPage(csrfField(reply), { values: form.values, errors: form.errors }), 400);
    await register(ctx, form.data);
    return page(reply, 'Check your inbox', checkInboxPage(`We have sent a message to ${form.data.email}. Follow the link in it to confirm your address and start using your account.`));
  });

  app.get('/account/verify/:token', async (request, reply) => {
    const params = TokenParams.safeParse(request.params);
    const verified = params.success && (await verifyEmail(ctx, params.data.token));
    if (!verified) return page(reply, 'Link not valid', messagePage('This link is not valid', 'It may have been used already or expired. Sign in to get a new one.', { href: '/account/login', label: 'Sign in' }), 404);
    return page(reply, 'Address confirmed', messagePage('Your address is confirmed', 'You can sign in now.', { href: '/account/login', label: 'Sign in' }));
  });

  app.get('/account/login', async (request, reply) => {
    if (await customerOf(request)) return reply.redirect('/account', 303);
    return page(reply, 'Sign in', loginPage(csrfField(reply)));
  });

  app.post('/account/login', { config: strict }, async (request, reply) => {
    const form = parseForm(LoginForm, request.body, ['email']);
    if (!form.ok) return page(reply, 'Sign in', loginPage(csrfField(reply), { values: form.values, errors: form.errors }), 400);
    const result = await signIn(ctx, form.data);
    if (!result.ok) {
      const message = result.locked ? SIGN_IN_LOCKED : result.unverified ? 'Confirm your e-mail address first: we have sent you a new link.' : 'That e-mail address and password did not match an account.';
      return page(reply, 'Sign in', loginPage(csrfField(reply), { values: { email: form.data.email }, message }), result.locked ? 429 : 401);
    }
    // A new token at every sign-in, and the session this browser had before ends: a session id planted before
    // sign-in, or left by someone else, is worth nothing after it.
    const previous = request.cookies[SESSION_COOKIE];
    if (previous) await signOut(ctx, previous);
    reply.setCookie(SESSION_COOKIE, result.token, cookie);
    // What the visitor put in a cart before signing in joins the account's cart.
    const visitorCart = request.cookies[CART_COOKIE];
    if (visitorCart) {
      await inTransaction(ctx.db, (tx) => mergeVisitorCart(ctx, tx, visitorCart, result.customerId));
      reply.clearCookie(CART_COOKIE, { path: '/' });
    }
    return reply.redirect('/account', 303);
  });

  app.post('/account/logout', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await signOut(ctx, token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/', 303);
  });

  app.get('/account/reset', (_request, reply) => page(reply, 'Reset your password', resetRequestPage(csrfField(reply))));

  app.post('/account/reset', { config: strict }, async (request, reply) => {
    const form = parseForm(ResetRequestForm, request.body, ['email']);
    if (!form.ok) return page(reply, 'Reset your password', resetRequestPage(csrfField(reply), { values: form.values, errors: form.errors }), 400);
    await requestPasswordReset(ctx, form.data.email);
    return page(reply, 'Check your inbox', checkInboxPage(`If ${form.data.email} has an account with us, a link to choose a new password is on its way. It works once, for one hour.`));
  });

  app.get('/account/reset/:token', async (request, reply) => {
    const params = TokenParams.safeParse(request.params);
    if (!params.success || !(await resetTokenValid(ctx, params.data.token))) {
      return page(reply, 'Link not valid', messagePage('This link is not valid', 'It may have been used already or expired.', { href: '/account/reset', label: 'Ask for a new link' }), 404);
    }
    return page(reply, 'Choose a new password', resetPage(csrfField(reply), params.data.token));
  });

  app.post('/account/reset/:token', { config: strict }, async (request, reply) => {
    const params = TokenParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const form = parseForm(ResetForm, request.body, []);
    if (!form.ok) return page(reply, 'Choose a new password', resetPage(csrfField(reply), params.data.token, { errors: form.errors }), 400);
    if (!(await resetPassword(ctx, params.data.token, form.data.password))) {
      return page(reply, 'Link not valid', messagePage('This link is not valid', 'It may have been used already or expired.', { href: '/account/reset', label: 'Ask for a new link' }), 404);
    }
    return page(reply, 'Password changed', messagePage('Your password is changed', 'You have been signed out everywhere. Sign in with the new password.', { href: '/account/login', label: 'Sign in' }));
  });

  app.get('/account', async (request, reply) => {
    const customerId = await customerOf(request);
    const me = customerId && (await profile(ctx, customerId));
    if (!me) return reply.redirect('/account/login', 303);
    return page(reply, 'Your account', accountPage(csrfField(reply), me, { saved: (request.query as { saved?: string }).saved === '1' }));
  });

  app.post('/account/profile', async (request, reply) => {
    const customerId = await customerOf(request);
    const me = customerId && (await profile(ctx, customerId));
    if (!me) return reply.redirect('/account/login', 303);
    const form = parseForm(ProfileForm, request.body, ['name']);
    if (!form.ok) return page(reply, 'Your account', accountPage(csrfField(reply), me, { values: form.values, errors: form.errors }), 400);
    await updateName(ctx, me.id, form.data.name);
    return reply.redirect('/account?saved=1', 303);
  });

  // ── the address book ──

  const countries = async () => (await shippingCountries(ctx)).map((c) => c.country);
  const addressForm = async (reply: FastifyReply, s: Parameters<typeof addressFormPage>[2], status = 200) =>
    page(reply, s?.id ? 'Edit the address' : 'Add an address', addressFormPage(csrfField(reply), await countries(), s), status);
  // A refused country stands beside its field; a full book is said above the form; both keep what was typed.
  const refused = (reply: FastifyReply, problem: AddressProblem, address: ShippingAddress, id?: string) =>
    problem.code === 'unknown_address'
      ? reply.callNotFound()
      : addressForm(reply, { id, values: addressValues(address), ...(problem.field ? { errors: { [problem.field]: problem.message } } : { message: problem.message }) }, problem.code === 'limit' ? 409 : 400);
  const done = (reply: FastifyReply, notice: AddressNotice) => reply.redirect(`/account/addresses?done=${notice}`, 303);

  app.get('/account/addresses', async (request, reply) => {
    const customerId = await customerOf(request);
    if (!customerId) return reply.redirect('/account/login', 303);
    const notice = AddressNoticeQuery.safeParse(request.query);
    return page(reply, 'Your addresses', addressBookPage(csrfField(reply), await listAddresses(ctx, customerId), notice.success ? notice.data.done : undefined));
  });

  app.get('/account/addresses/new', async (request, reply) => {
    if (!(await customerOf(request))) return reply.redirect('/account/login', 303);
    return addressForm(reply, {});
  });

  app.post('/account/addresses', async (request, reply) => {
    const customerId = await customerOf(request);
    if (!customerId) return reply.redirect('/account/login', 303);
    const form = parseForm(ShippingAddress, request.body, ADDRESS_FIELDS);
    if (!form.ok) return addressForm(reply, { values: form.values, errors: form.errors }, 400);
    const result = await addAddress(ctx, customerId, form.data);
    return result.ok ? done(reply, 'added') : refused(reply, result.problem, form.data);
  });

  app.get('/account/addresses/:id/edit', async (request, reply) => {
    const customerId = await customerOf(request);
    if (!customerId) return reply.redirect('/account/login', 303);
    const params = IdParams.safeParse(request.params);
    const found = params.success ? await findAddress(ctx, customerId, params.data.id) : undefined;
    if (!found) return reply.callNotFound();
    return addressForm(reply, { id: found.id, values: addressValues(found.address) });
  });

  app.post('/account/addresses/:id', async (request, reply) => {
    const customerId = await customerOf(request);
    if (!customerId) return reply.redirect('/account/login', 303);
    const params = IdParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const form = parseForm(ShippingAddress, request.body, ADDRESS_FIELDS);
    if (!form.ok) return addressForm(reply, { id: params.data.id, values: form.values, errors: form.errors }, 400);
    const result = await updateAddress(ctx, customerId, params.data.id, form.data);
    return result.ok ? done(reply, 'saved') : refused(reply, result.problem, form.data, params.data.id);
  });

  const addressAction = (change: typeof deleteAddress, notice: AddressNotice) => async (request: FastifyRequest, reply: FastifyReply) => {
    const customerId = await customerOf(request);
    if (!customerId) return reply.redirect('/account/login', 303);
    const params = IdParams.safeParse(request.params);
    const result = params.success ? await change(ctx, customerId, params.data.id) : undefined;
    return result?.ok ? done(reply, notice) : reply.callNotFound();
  };
  app.post('/account/addresses/:id/default', addressAction(makeDefaultAddress, 'default'));
  app.post('/account/addresses/:id/delete', addressAction(deleteAddress, 'deleted'));
}
