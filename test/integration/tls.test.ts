import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/platform/config.ts';
import { startShop } from '../../src/server.ts';
import { freshDatabase } from '../support/databases.ts';
import { testEnv } from '../support/shop.ts';

// Direct TLS (PLEDGE_TLS_CERT and PLEDGE_TLS_KEY) for a shop without a reverse proxy: it serves HTTPS with the
// certificate given, and a certificate file it cannot read stops it with the setting's name.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-tls-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const cert = path.join(dir, 'cert.pem');
const key = path.join(dir, 'key.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });

const get = (url: string) =>
  new Promise<{ status: number; protocol: string }>((resolve, reject) => {
    https.get(url, { ca: fs.readFileSync(cert), agent: false }, (response) => {
      const protocol = (response.socket as TLSSocket).getProtocol() ?? '';
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode!, protocol }));
    }).on('error', reject);
  });

test('serves HTTPS with the certificate given', async () => {
  const database = await freshDatabase('pglite');
  const config = loadConfig(testEnv(dir, { PORT: '0', HOST: '127.0.0.1', PLEDGE_TLS_CERT: cert, PLEDGE_TLS_KEY: key, PLEDGE_LOG_LEVEL: 'warn' }));
  const shop = await startShop(config, { database });
  try {
    assert.match(shop.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await get(`${shop.url}/healthz`);
    assert.equal(answer.status, 200);
    assert.match(answer.protocol, /^TLSv1\.[23]$/);
  } finally {
    await shop.stop();
  }
});

test('a certificate it cannot read stops the shop, naming the setting', async () => {
  const database = await freshDatabase('pglite');
  const config = loadConfig(testEnv(dir, { PORT: '0', PLEDGE_TLS_CERT: path.join(dir, 'missing.pem'), PLEDGE_TLS_KEY: key, PLEDGE_LOG_LEVEL: 'warn' }));
  await assert.rejects(startShop(config, { database }), (error: Error) => error instanceof ConfigError && /^PLEDGE_TLS_CERT .*missing\.pem cannot be read$/.test(error.message));
});
