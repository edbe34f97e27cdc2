import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../src/platform/config.ts';
import { startShop, type RunningShop } from '../../src/server.ts';
import { freePort } from './postgres.ts';
import { testEnv } from './shop.ts';

// Browser tests drive Debian's Chromium (installed by `npm test` when missing) through playwright-core.

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string {
  const candidate = process.env.CHROME_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(candidate)) {
    throw new Error(`Chromium not found at ${candidate}: install it with "apt-get install chromium" or set CHROME_PATH`);
  }
  return candidate;
}

/** A browser with a fresh, throw-away profile (playwright creates a new user-data directory per launch). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_FLAGS });
}

export type BrowserShop = { shop: RunningShop; browser: Browser; stop(): Promise<void> };

/**
 * The real server as `npm start` runs it (PGlite in a fresh data directory, job workers on) on a known port — so
 * links in e-mails, built from the base URL, point at it — and a browser to look at it with.
 */
export async function startBrowserShop(options: { seed: boolean; env?: Record<string, string> }): Promise<BrowserShop> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-e2e-'));
  const port = String(await freePort());
  const env = testEnv(dir, { PORT: port, HOST: '127.0.0.1', PLEDGE_BASE_URL: `http://127.0.0.1:${port}`, PLEDGE_LOG_LEVEL: 'warn', ...options.env });
  const shop = await startShop(loadConfig(env), { seedIfEmpty: options.seed, jobPollingIntervalSeconds: 0.5 });
  const browser = await launchBrowser();
  return {
    shop,
    browser,
    async stop() {
      await browser.close();
      await shop.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Opens the newest mail in the dev mailbox whose subject matches (and, given `to`, sent to that address). The job
 * worker sends mail a moment after the request that queued it, so the mailbox is looked at again until it arrives.
 */
export async function openMail(page: Page, shopUrl: string, mail: { subject: string | RegExp; to?: string }): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await page.goto(`${shopUrl}/dev/mailbox`);
    const rows = page.getByRole('row').filter(mail.to ? { has: page.getByRole('cell', { name: mail.to, exact: true }) } : {});
    const link = rows.getByRole('link', { name: mail.subject }).first();
    if ((await link.count()) > 0) {
      await link.click();
      await page.waitForURL(/\/dev\/mailbox\/[^/]+$/);
      return;
    }
    if (Date.now() > deadline) throw new Error(`no mail matching ${String(mail.subject)}${mail.to ? ` to ${mail.to}` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
