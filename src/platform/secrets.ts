import { createHash, randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';

// The secrets Pledge hands out and checks. Tokens (sessions, one-time links, carts, recovery codes) are random and
// kept only as hashes, so a copy of the database opens nothing; passwords are kept as argon2id hashes.

/** What a token from `newToken()` looks like; anything else is refused before a look-up. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** argon2 runs since start (hashes and checks): tests hold known and unknown addresses to the same work with it. */
export const passwordWork = { count: 0 };

export function hashPassword(password: string): Promise<string> {
  passwordWork.count++;
  return argon2Hash(password);
}

// Checked against when there is no stored hash, so an unknown account costs as much time as a wrong password.
const DUMMY_HASH = argon2Hash(randomBytes(16).toString('hex'));

/** True when `password` matches `stored`; with no stored hash it spends the same time and answers false. */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  passwordWork.count++;
  const matches = await argon2Verify(stored ?? (await DUMMY_HASH), password).catch(() => false);
  return Boolean(stored) && matches;
}
