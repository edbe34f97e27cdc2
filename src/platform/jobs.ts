import { sql } from 'drizzle-orm';
import { PgBoss, fromDrizzle, fromPglite, type JobResult, type QueueOptions } from 'pg-boss';
import { outsideTransaction, type Database, type Executor } from './db/index.ts';
import type { Log } from './log.ts';

// Background jobs on pg-boss, in the shop's own database. A job that follows from a write is enqueued inside that
// write's transaction, so either both happen or neither does. Payloads carry ids, never personal data.

/**
 * A running job's worker beats this often (every half of it); a job whose worker stops beating (killed, out of
 * memory, the machine gone) is retried once the supervisor sees it, instead of sitting `active` until it expires
 * (15 minutes by default). pg-boss's smallest heartbeat.
 */
export const HEARTBEAT_SECONDS = 10;
const SUPERVISE_SECONDS = 10;
/** Jobs a worker takes at a time (see the work options below). */
const JOB_BATCH = 10;

export type JobHandler<T> = (data: T) => Promise<void>;

export type JobDefinition<T extends object = object> = {
  name: string;
  queue?: Omit<QueueOptions, 'name'>;
  /** A cron expression in UTC for jobs that recur (the daily retention sweep); pg-boss runs it on one instance. */
  schedule?: string;
  handler: JobHandler<T>;
};

export type Jobs = {
  define<T extends object>(job: JobDefinition<T>): void;
  /** Enqueue; pass the transaction (`tx`) so the job exists only if the transaction commits. */
  send(name: string, data: object, options?: { within?: Executor; singletonKey?: string; startAfter?: Date }): Promise<string | null>;
  start(options?: { work?: boolean }): Promise<void>;
  stop(): Promise<void>;
  boss: PgBoss;
};

export function createJobs(database: Database, log: Log, options: { pollingIntervalSeconds?: number } = {}): Jobs {
  // The supervisor looks for jobs whose worker stopped beating this often (pg-boss's default is a minute).
  const supervision = { superviseIntervalSeconds: SUPERVISE_SECONDS, monitorIntervalSeconds: SUPERVISE_SECONDS };
  const boss =
    database.kind === 'pglite'
      ? new PgBoss({ db: fromPglite(database.client as Parameters<typeof fromPglite>[0]), backend: 'pglite', schema: 'pgboss', ...supervision })
      : new PgBoss({ connectionString: connectionStringOf(database), schema: 'pgboss', max: 10, useListenNotify: true, ...supervision });
  boss.on('error', (error: Error) => log.error({ err: error }, 'job system error'));
  const definitions = new Map<string, JobDefinition>();
  let started = false;

  return {
    boss,
    define(job) {
      if (started) throw new Error(`job ${job.name} defined after the job system started`);
      definitions.set(job.name, job as unknown as JobDefinition);
    },
    async send(name, data, sendOptions = {}) {
      if (!definitions.has(name)) throw new Error(`unknown job ${name}`);
      return boss.send(name, data, {
        ...(sendOptions.within ? { db: fromDrizzle(sendOptions.within as never, sql) } : {}),
        ...(sendOptions.singletonKey ? { singletonKey: sendOptions.singletonKey } : {}),
        ...(sendOptions.startAfter ? { startAfter: sendOptions.startAfter } : {}),
      });
    },
    async start({ work = true } = {}) {
      await boss.start();
      started = true;
      // One look at the queues there are: a statement per queue made at every start costs PGlite a good part of it.
      const existing = new Map((await boss.getQueues()).map((q) => [q.name, q as unknown as Record<string, unknown>]));
      for (const job of definitions.values()) {
        const queue = { notify: true, retryLimit: 8, retryDelay: 2, retryBackoff: true, retryDelayMax: 600, heartbeatSeconds: HEARTBEAT_SECONDS, ...job.queue };
        const current = existing.get(job.name);
        if (!current) await boss.createQueue(job.name, queue);
        // A queue made by an earlier version keeps its options until told: they follow this code.
        else if (Object.entries(queue).some(([option, value]) => current[option] !== value)) await boss.updateQueue(job.name, queue);
        if (!work) continue;
        if (job.schedule) await boss.schedule(job.name, job.schedule, {}, { tz: 'UTC' });
        const polling = options.pollingIntervalSeconds ?? 1;
        await boss.work<object>(
          job.name,
          // A worker waits a polling interval after each fetch unless its batch came back full: with one job a fetch,
          // a backlog (the confirmations of a burst of orders) went out at one job a second. Batches of
          // JOB_BATCH, fetched again at once while full, each job settled on its own.
          // With LISTEN/NOTIFY on, pg-boss polls only every 30 s and counts on a notification for each new job, but
          // none comes for a job that falls due later (a retry, a startAfter) or was queued before a restart: so the
          // same interval either way.
          { batchSize: JOB_BATCH, burstWhenBatchFull: true, perJobResults: true, pollingIntervalSeconds: polling, notifyPollingIntervalSeconds: polling },
          async (batch) => {
            const results: JobResult[] = [];
            for (const item of batch) {
              try {
                await outsideTransaction(() => job.handler(item.data));
                results.push({ id: item.id, status: 'completed' });
              } catch (error) {
                // pg-boss stores a failed job's error, and messages can quote personal data (an SMTP refusal
                // names the recipient): only the error's class and code are kept or logged.
                const code = (error as { code?: unknown }).code;
                const summary = `${(error as Error).name ?? 'Error'}${typeof code === 'string' ? ` ${code}` : ''}`;
                log.warn({ job: job.name, jobId: item.id, error: summary }, 'job failed; it will be retried');
                results.push({ id: item.id, status: 'failed', output: { message: `${job.name} failed: ${summary}` } });
              }
            }
            return results;
          },
        );
      }
    },
    async stop() {
      if (!started) return;
      started = false;
      await boss.stop({ graceful: true, timeout: 10_000, close: true });
    },
  };
}

function connectionStringOf(database: Database): string {
  const options = (database.client as { options?: { connectionString?: string } }).options;
  if (!options?.connectionString) throw new Error('PostgreSQL pool has no connection string');
  return options.connectionString;
}
