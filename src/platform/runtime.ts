import path from 'node:path';
import type { DestinationStream } from 'pino';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import { migrateDatabase, openDatabase, type Database } from './db/index.ts';
import { loadAssets } from './http/assets.ts';
import type { Platform } from './http/app.ts';
import type { Html } from './http/html.ts';
import { createLayout } from './http/layout.ts';
import { createJobs } from './jobs.ts';
import { loadMasterKey } from './keys.ts';
import { createLog } from './log.ts';
import { DELIVER_MAIL_JOB, deliverOutboxMessage, type MailSealer } from './mail/service.ts';
import { fileTransport, smtpTransport, type MailTransport } from './mail/transport.ts';

export type Runtime = Platform & { mail: MailTransport; sealer: MailSealer; close(): Promise<void> };

export type RuntimeOptions = {
  /** Seals outbox messages at rest; the privacy engine's vault provides it (see src/runtime.ts). */
  sealer: (masterKey: Buffer, clock: Clock) => MailSealer;
  clock?: Clock;
  logDestination?: DestinationStream;
  /** Run migrations on open (the server does; `pledge migrate` is the explicit form). */
  migrate?: boolean;
  jobPollingIntervalSeconds?: number;
  /** The site menu for pages that do not bring their own. */
  defaultNav?: Html;
  /** Links at the foot of every page, before the cookie settings. */
  footerLinks?: Html;
  /** An already open database (tests bring a fresh one per case); otherwise the configured one is opened. */
  database?: Database;
};

/** Opens the database, the job system and the mail transport: everything a server or a CLI command stands on. */
export async function openRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const log = createLog(config.logLevel, options.logDestination);
  const clock = options.clock ?? systemClock;
  const masterKey = loadMasterKey(config);
  const database =
    options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: path.join(config.dataDir, 'pglite') }));
  try {
    if (options.migrate !== false) await migrateDatabase(database);
  } catch (error) {
    await database.close();
    throw error;
  }
  const jobs = createJobs(database, log, { pollingIntervalSeconds: options.jobPollingIntervalSeconds ?? 1 });
  const mail = config.smtpUrl ? smtpTransport(config.smtpUrl) : fileTransport(config.mailDir);
  const sealer = options.sealer(masterKey, clock);
  jobs.define<{ outboxId: string }>({
    name: DELIVER_MAIL_JOB,
    handler: async ({ outboxId }) => {
      const result = await deliverOutboxMessage({ db: database.db, clock, transport: mail, from: config.shop.mailFrom, sealer }, outboxId);
      // Failing the job has pg-boss try again with backoff, by when the claim has run out if its holder died.
      if (result === 'claimed') throw Object.assign(new Error('the message is claimed by another delivery'), { code: 'CLAIMED' });
    },
  });
  const assets = loadAssets();
  return {
    config,
    database,
    clock,
    jobs,
    log,
    assets,
    layout: createLayout(config, assets, options.defaultNav, options.footerLinks),
    masterKey,
    mail,
    sealer,
    async close() {
      await jobs.stop();
      mail.close();
      await database.close();
    },
  };
}
