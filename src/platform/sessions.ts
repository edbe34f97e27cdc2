import { and, eq, lt, or } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Executor } from './db/index.ts';
import { newToken, tokenHash } from './secrets.ts';

// Server-side sessions, shared by staff and customers: the cookie carries a random token, the table only its
// hash, so a copy of the database signs nobody in. A session ends after `idleMs` without use or `maxMs` in all.

export type SessionLimits = { idleMs: number; maxMs: number };

type SessionTable = PgTable & { tokenHash: PgColumn; createdAt: PgColumn; lastSeenAt: PgColumn; expiresAt: PgColumn };

export function sessionStore<T extends SessionTable>(table: T, owner: { key: string; column: PgColumn }, limits: SessionLimits) {
  const t = table as SessionTable;
  return {
    /** A new session for `ownerId`; that owner's lapsed sessions are cleared on the way. */
    async start(db: Executor, ownerId: string, now: Date): Promise<string> {
      const token = newToken();
      await db
        .delete(t)
        .where(and(eq(owner.column, ownerId), or(lt(t.expiresAt, now), lt(t.lastSeenAt, new Date(now.getTime() - limits.idleMs)))));
      await db.insert(t).values({ tokenHash: tokenHash(token), [owner.key]: ownerId, createdAt: now, lastSeenAt: now, expiresAt: new Date(now.getTime() + limits.maxMs) } as never);
      return token;
    },
    /** The owner of a live session, or undefined; a lapsed session is deleted when met. */
    async owner(db: Executor, token: string, now: Date): Promise<string | undefined> {
      const hash = tokenHash(token);
      const [row] = (await db.select({ ownerId: owner.column, lastSeenAt: t.lastSeenAt, expiresAt: t.expiresAt }).from(t).where(eq(t.tokenHash, hash))) as {
        ownerId: string;
        lastSeenAt: Date;
        expiresAt: Date;
      }[];
      if (!row) return undefined;
      if (row.expiresAt <= now || now.getTime() - row.lastSeenAt.getTime() > limits.idleMs) {
        await db.delete(t).where(eq(t.tokenHash, hash));
        return undefined;
      }
      // Written at most once a minute: browsing should not turn every page view into a write.
      if (now.getTime() - row.lastSeenAt.getTime() > 60_000) await db.update(t).set({ lastSeenAt: now } as never).where(eq(t.tokenHash, hash));
      return row.ownerId;
    },
    async end(db: Executor, token: string): Promise<void> {
      await db.delete(t).where(eq(t.tokenHash, tokenHash(token)));
    },
    async endAll(db: Executor, ownerId: string): Promise<void> {
      await db.delete(t).where(eq(owner.column, ownerId));
    },
  };
}
