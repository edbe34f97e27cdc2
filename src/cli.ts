import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from './platform/config.ts';
import { migrateDatabase, openDatabase } from './platform/db/index.ts';
import path from 'node:path';
import { progressBar } from './platform/progress.ts';
import { systemClock } from './platform/clock.ts';
import { seedDemoCatalog } from './shop/catalog/seed.ts';
import { startShop } from './server.ts';

// The `pledge` command: `npm run pledge -- <command> [options]`.

type Command = {
  summary: string;
  usage: string;
  options: ParseArgsOptionsConfig;
  run(config: Config, values: Record<string, string | boolean | undefined>): Promise<number>;
};

class UsageError extends Error {}

function wholeNumber(name: string, value: string | boolean | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return n;
}

function openConfiguredDatabase(config: Config) {
  return openDatabase({ databaseUrl: config.databaseUrl, dataDir: path.join(config.dataDir, 'pglite') });
}

const commands: Record<string, Command> = {
  migrate: {
    summary: 'apply pending database migrations',
    usage: 'pledge migrate',
    options: {},
    async run(config) {
      const database = await openConfiguredDatabase(config);
      try {
        await migrateDatabase(database);
        console.log(`migrations applied (${database.kind})`);
        return 0;
      } finally {
        await database.close();
      }
    },
  },
  seed: {
    summary: 'fill an empty catalogue with the demo products',
    usage: 'pledge seed [--products N]   N extra generated products for load tests (default 0)',
    options: { products: { type: 'string' } },
    async run(config, values) {
      const extraProducts = wholeNumber('products', values.products, 0, 1_000_000) ?? 0;
      const database = await openConfiguredDatabase(config);
      try {
        await migrateDatabase(database);
        const bar = progressBar('seeding products');
        const result = await seedDemoCatalog({ db: database.db, clock: systemClock }, { extraProducts, onProgress: bar.update });
        bar.finish(
          result.seeded
            ? `seeded ${result.categories} categories and ${result.products} products`
            : 'the catalogue already has products; nothing seeded',
        );
        return 0;
      } finally {
        await database.close();
      }
    },
  },
  serve: {
    summary: 'run the shop (migrates first)',
    usage: 'pledge serve [--seed-if-empty] [--port N]',
    options: { 'seed-if-empty': { type: 'boolean' }, port: { type: 'string' } },
    async run(config, values) {
      const port = wholeNumber('port', values.port, 0, 65535);
      const started = Date.now();
      const effective = port === undefined ? config : loadConfig({ ...process.env, PORT: String(port) });
      const shop = await startShop(effective, { seedIfEmpty: values['seed-if-empty'] === true });
      shop.runtime.log.info({ url: shop.url, startupMs: Date.now() - started, database: shop.runtime.database.kind }, 'Pledge is serving');
      console.log(`${effective.shop.name} is open at ${shop.url}`);
      await new Promise<void>((resolve) => {
        const shutdown = () => {
          process.off('SIGINT', shutdown);
          process.off('SIGTERM', shutdown);
          shop.stop().then(resolve, resolve);
        };
        process.on('SIGINT', shutdown);
        process.on('SIGTERM', shutdown);
      });
      return 0;
    },
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: pledge <command> [options]\n\ncommands:\n${lines.join('\n')}\n\npledge <command> --help shows a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`pledge: unknown command ${JSON.stringify(name)}\n${usage()}`);
    return 2;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
    values = parsed.values as Record<string, string | boolean | undefined>;
  } catch (error) {
    console.error(`pledge ${name}: ${(error as Error).message}\nusage: ${command.usage}`);
    return 2;
  }
  if (values.help) {
    console.log(`usage: ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  try {
    return await command.run(loadConfig(), values);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`pledge: ${error.message}`);
      return 2;
    }
    if (error instanceof UsageError) {
      console.error(`pledge ${name}: ${error.message}\nusage: ${command.usage}`);
      return 2;
    }
    console.error(`pledge ${name}: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
