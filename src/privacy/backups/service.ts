import { spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Clock } from '../../platform/clock.ts';
import type { Config } from '../../platform/config.ts';
import { migrateDatabase, openDatabase, type Database, type Db } from '../../platform/db/index.ts';
import { deriveKey } from '../../platform/keys.ts';
import { exportJournal, JournalError, parseJournal, type JournalEntry } from '../retention/replay.ts';
import { restorePending } from './schema.ts';

// Backups (DESIGN.md §3): the whole database, encrypted with AES-256-GCM, in one file. PGlite's is its data
// directory as a tarball; PostgreSQL's is pg_dump's custom format. Beside each backup lies its erasure journal,
// FILE.erasures.jsonl: the erasures recorded since the backup was taken (ids only), rewritten by the shop as more
// happen, so that a restore can erase again everyone the backup still remembers.

export const BACKUP_SUFFIX = '.pledge-backup';
export const JOURNAL_SUFFIX = '.erasures.jsonl';
const MAGIC = 'PLEDGE-BACKUP 1\n';

const Header = z.object({
  engine: z.enum(['pglite', 'postgres']),
  takenAt: z.iso.datetime(),
  key: z.enum(['PLEDGE_BACKUP_KEY', 'PLEDGE_MASTER_KEY']),
  iv: z.base64(),
});
export type BackupHeader = z.infer<typeof Header>;

export class BackupError extends Error {}

/** PLEDGE_BACKUP_KEY when set (so backups can be kept apart from the master key), else a key derived from the master key. */
export function backupKey(config: Pick<Config, 'backupKey'>, masterKey: Buffer): { key: Buffer; name: BackupHeader['key'] } {
  return config.backupKey
    ? { key: deriveKey(Buffer.from(config.backupKey, 'base64'), 'backup'), name: 'PLEDGE_BACKUP_KEY' }
    : { key: deriveKey(masterKey, 'backup'), name: 'PLEDGE_MASTER_KEY' };
}

const PG_TOOLS_MISSING =
  'PostgreSQL backups are made with pg_dump and restored with pg_restore, which are not on this machine’s PATH: install the PostgreSQL client tools of your server’s major version (Debian: apt-get install postgresql-client-18), or use your managed service’s own backups and `pledge erasures export` beside them';

/** Runs a PostgreSQL client tool, feeding it `input` and collecting what it prints. */
function runTool(tool: 'pg_dump' | 'pg_restore', args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? new BackupError(PG_TOOLS_MISSING) : error));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new BackupError(`${tool} failed (exit ${code}): ${err.trim().split('\n').at(-1) ?? ''}`))));
    child.stdin.end(input);
  });
}

type BackupContext = { database: Database; databaseUrl: string | undefined; clock: Clock; key: ReturnType<typeof backupKey> };

/**
 * Writes an encrypted backup of the database to `file` and its (so far empty) erasure journal beside it. The time
 * recorded is taken before the dump starts: an erasure during the dump is replayed too, which changes nothing.
 */
export async function takeBackup(ctx: BackupContext, file: string): Promise<BackupHeader> {
  const takenAt = ctx.clock.now();
  const payload =
    ctx.database.client instanceof PGlite
      ? Buffer.from(await (await ctx.database.client.dumpDataDir('gzip')).arrayBuffer())
      : await runTool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--dbname=${ctx.databaseUrl}`]);
  const header: BackupHeader = { engine: ctx.database.kind, takenAt: takenAt.toISOString(), key: ctx.key.name, iv: randomBytes(12).toString('base64') };
  const head = Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`);
  const cipher = createCipheriv('aes-256-gcm', ctx.key.key, Buffer.from(header.iv, 'base64'));
  cipher.setAAD(head);
  const sealed = Buffer.concat([cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const partial = `${file}.partial`;
  fs.writeFileSync(partial, Buffer.concat([head, sealed]), { mode: 0o600 });
  fs.renameSync(partial, file);
  fs.writeFileSync(`${file}${JOURNAL_SUFFIX}`, await exportJournal(ctx.database.db, takenAt), { mode: 0o600 });
  return header;
}

/** The plain header of a backup file (when it was taken, of which engine, under which key), without the key. */
export function readHeader(file: string): { header: BackupHeader; head: Buffer; body: Buffer } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new BackupError(`${file} cannot be read`);
  }
  const end = bytes.indexOf('\n', MAGIC.length);
  const parsed = bytes.subarray(0, MAGIC.length).toString() === MAGIC && end > 0 ? Header.safeParse(tryJson(bytes.subarray(MAGIC.length, end).toString())) : undefined;
  if (!parsed?.success) throw new BackupError(`${file} is not a Pledge backup`);
  return { header: parsed.data, head: bytes.subarray(0, end + 1), body: bytes.subarray(end + 1) };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function openBackup(file: string, key: ReturnType<typeof backupKey>): { header: BackupHeader; payload: Buffer } {
  const { header, head, body } = readHeader(file);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(header.iv, 'base64'));
    decipher.setAAD(head);
    decipher.setAuthTag(body.subarray(body.length - 16));
    return { header, payload: Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]) };
  } catch {
    throw new BackupError(`${file} cannot be decrypted: it was encrypted under ${header.key}, and the one set now is not the one in force when it was taken`);
  }
}

/** A new backup's file in `dir`, named by when it is taken. */
export function newBackupFile(dir: string, now: Date): string {
  return path.join(dir, `pledge-${now.toISOString().replace(/[:.]/g, '-')}${BACKUP_SUFFIX}`);
}

/** The backups in `dir`, by file name. */
export function backupFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((name) => name.endsWith(BACKUP_SUFFIX)).map((name) => path.join(dir, name));
}

/** Rewrites the journal beside every backup in `dir` with the erasures recorded since it was taken. */
export async function refreshJournals(db: Db, dir: string): Promise<number> {
  const files = backupFiles(dir);
  for (const file of files) {
    const { header } = readHeader(file);
    const partial = `${file}${JOURNAL_SUFFIX}.partial`;
    fs.writeFileSync(partial, await exportJournal(db, new Date(header.takenAt)), { mode: 0o600 });
    fs.renameSync(partial, `${file}${JOURNAL_SUFFIX}`);
  }
  return files.length;
}

export type RestoreSources = {
  /** Journals exported from the live shop (`pledge erasures export`), when it is elsewhere or gone. */
  journals: readonly string[];
};

export type RestoredDatabase = { header: BackupHeader; entries: JournalEntry[]; sources: string[]; database: Database; finish(): Promise<void> };

/**
 * Puts the backup in place of the configured database, marked as awaiting its replay, and gathers every erasure
 * recorded after it was taken: from the journal beside it, from each journal given, and from the database being
 * replaced (read before it is overwritten). The caller replays them and then calls `finish`, which lifts the mark.
 */
export async function restoreBackup(config: Config, masterKey: Buffer, clock: Clock, file: string, sources: RestoreSources): Promise<RestoredDatabase> {
  const { header, payload } = openBackup(file, backupKey(config, masterKey));
  const engine = config.databaseUrl ? 'postgres' : 'pglite';
  if (header.engine !== engine) throw new BackupError(`${file} is a ${header.engine} backup and this shop is configured for ${engine}`);
  const since = new Date(header.takenAt);
  const entries: JournalEntry[] = [];
  const found: string[] = [];
  const beside = `${file}${JOURNAL_SUFFIX}`;
  for (const journal of [...(fs.existsSync(beside) ? [beside] : []), ...sources.journals]) {
    try {
      entries.push(...parseJournal(fs.readFileSync(journal, 'utf8')));
    } catch (error) {
      throw new BackupError(`${journal}: ${error instanceof JournalError ? error.message : 'cannot be read'}`);
    }
    found.push(journal);
  }
  const pgliteDir = path.join(config.dataDir, 'pglite');
  const live = await liveJournal(config, pgliteDir, since);
  if (live !== undefined) {
    entries.push(...live);
    found.push('the database being replaced');
  }
  if (found.length === 0) {
    throw new BackupError(`no erasure journal to replay: ${beside} is missing and there is no database being replaced. Give --journal FILE exported from the live shop (pledge erasures export --out FILE), or an empty file if you know no one was erased since ${header.takenAt}`);
  }
  let database: Database;
  let replaced: string | undefined;
  if (engine === 'pglite') {
    if (fs.existsSync(pgliteDir)) {
      replaced = `${pgliteDir}.before-restore`;
      fs.rmSync(replaced, { recursive: true, force: true });
      fs.renameSync(pgliteDir, replaced);
    }
    database = await openDatabase({ dataDir: pgliteDir, loadDataDir: new Blob([new Uint8Array(payload)]) });
  } else {
    await runTool('pg_restore', ['--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', `--dbname=${config.databaseUrl}`], payload);
    database = await openDatabase({ databaseUrl: config.databaseUrl });
  }
  await migrateDatabase(database);
  await database.db.insert(restorePending).values({ id: 1, backupTakenAt: since, startedAt: clock.now() }).onConflictDoUpdate({ target: restorePending.id, set: { backupTakenAt: since, startedAt: clock.now() } });
  return {
    header,
    // Erasures before the backup are in it already; a journal exported whole lists them too.
    entries: [...new Map(entries.filter((e) => new Date(e.erasedAt) >= since).map((e) => [`${e.unitId} ${e.reason}`, e])).values()],
    sources: found,
    database,
    async finish() {
      await database.db.delete(restorePending).where(eq(restorePending.id, 1));
      // The database replaced held no one the restored one may not: it goes once the replay is done.
      if (replaced) fs.rmSync(replaced, { recursive: true, force: true });
    },
  };
}

/** The erasures recorded since `since` in the database about to be replaced, when there is one to read. */
async function liveJournal(config: Config, pgliteDir: string, since: Date): Promise<JournalEntry[] | undefined> {
  if (!config.databaseUrl && !fs.existsSync(path.join(pgliteDir, 'PG_VERSION'))) return undefined;
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: pgliteDir, poolSize: 1 });
  try {
    return parseJournal(await exportJournal(database.db, since));
  } catch (error) {
    // A PostgreSQL database with no shop in it yet (a new server) has no journal to read.
    if ((error as { cause?: { code?: string } }).cause?.code === '42P01') return undefined;
    throw error;
  } finally {
    await database.close();
  }
}

/** True while a restored database waits for its erasures to be replayed. */
export async function restoreIsPending(db: Db): Promise<boolean> {
  return (await db.select({ id: restorePending.id }).from(restorePending).limit(1)).length > 0;
}
