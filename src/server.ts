import type { FastifyInstance } from 'fastify';
import { createShopApp } from './app.ts';
import type { Config } from './platform/config.ts';
import type { Runtime, RuntimeOptions } from './platform/runtime.ts';
import { openShopRuntime } from './runtime.ts';
import { seedDemoCatalog } from './shop/catalog/seed.ts';

export type RunningShop = { runtime: Runtime; app: FastifyInstance; url: string; stop(): Promise<void> };

/**
 * Starts the shop: migrate, optionally seed an empty catalogue, start the job workers and listen. Everything the
 * server keeps (sessions, jobs, outbox) lives in the database, so several of these can serve one PostgreSQL.
 */
export async function startShop(config: Config, options: Omit<RuntimeOptions, 'sealer' | 'defaultNav' | 'footerLinks'> & { seedIfEmpty?: boolean } = {}): Promise<RunningShop> {
  const runtime = await openShopRuntime(config, options);
  try {
    if (options.seedIfEmpty) {
      const seeded = await seedDemoCatalog({ db: runtime.database.db, clock: runtime.clock });
      if (seeded.seeded) runtime.log.info({ products: seeded.products }, 'seeded the demo catalogue');
    }
    await runtime.jobs.start();
    const app = await createShopApp(runtime);
    const address = await app.listen({ port: config.port, host: config.host });
    const url = config.port === 0 ? address : config.baseUrl;
    let stopping: Promise<void> | undefined;
    return {
      runtime,
      app,
      url,
      stop() {
        // Stop taking requests and let in-flight ones finish, then drain jobs and close the database.
        stopping ??= app.close().then(() => runtime.close());
        return stopping;
      },
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
