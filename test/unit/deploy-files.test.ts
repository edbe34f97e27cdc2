import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MIGRATIONS_DIR } from '../../src/platform/db/index.ts';
import { PUBLIC_DIR } from '../../src/platform/http/assets.ts';

// There is no Docker engine, systemd or proxy on the machines that run the tests, so the deployment files are held
// to the lines that make them safe: a non-root, production image with a health check, the same settings in the
// compose file and unit, and proxies that set (never pass on) the client's address.

const read = (file: string) => fs.readFileSync(`deploy/${file}`, 'utf8');
/** Dockerfile instructions, continuation lines joined and comments dropped. */
const instructions = (text: string) =>
  text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

test('the Dockerfile builds in stages on Node 24 and runs the production shop as a non-root user with a health check', () => {
  const lines = instructions(read('Dockerfile'));
  const from = lines.filter((l) => l.startsWith('FROM '));
  assert.ok(from.length >= 2, 'multi-stage');
  for (const f of from) assert.match(f, /^FROM node:24[\w.-]*( AS \w+)?$/);
  assert.ok(lines.some((l) => /^RUN npm ci --omit=dev\b/.test(l)), 'production dependencies only');
  assert.ok(lines.some((l) => /^COPY --from=deps \/app\/node_modules/.test(l)), 'the final stage takes the dependencies from the first');
  const env = lines.filter((l) => l.startsWith('ENV ')).join(' ');
  assert.match(env, /NODE_ENV=production/);
  const user = lines.findLast((l) => l.startsWith('USER '));
  assert.ok(user && !/^USER (root|0)\b/.test(user), 'the shop does not run as root');
  assert.ok(lines.indexOf(user) < lines.findIndex((l) => l.startsWith('CMD ')), 'USER comes before the command');
  assert.match(lines.find((l) => l.startsWith('HEALTHCHECK '))!, /\/healthz/);
  assert.match(lines.find((l) => l.startsWith('CMD '))!, /"src\/cli\.ts", "serve"/);
  assert.ok(lines.some((l) => l === 'COPY src ./src'));
  assert.ok(!lines.some((l) => /^COPY \. /.test(l)), 'no blanket copy (data directories, keys, mailboxes stay out)');
  assert.ok(lines.some((l) => /postgresql-client/.test(l)), 'pg_dump and pg_restore for backups');
});

test('the image copies every directory the shop reads at run time, where the sources look for it', () => {
  const lines = instructions(read('Dockerfile'));
  for (const dir of [PUBLIC_DIR, MIGRATIONS_DIR]) {
    const relative = path.relative(process.cwd(), dir);
    assert.ok(lines.some((l) => l === `COPY ${relative} ./${relative}`), `COPY ${relative}`);
  }
});

test('compose and systemd run the shop in production behind a proxy, with the settings production needs', () => {
  const compose = read('docker-compose.yml');
  for (const setting of ['DATABASE_URL', 'PLEDGE_MASTER_KEY', 'PLEDGE_BASE_URL', 'SMTP_URL']) assert.match(compose, new RegExp(`${setting}:`));
  assert.match(compose, /image: postgres:18/);
  assert.match(compose, /condition: service_healthy/);
  assert.match(compose, /"127\.0\.0\.1:3000:3000"/, 'only the local proxy reaches the shop');
  const unit = read('pledge.service');
  assert.match(unit, /^User=pledge$/m);
  assert.match(unit, /^Environment=NODE_ENV=production$/m);
  assert.match(unit, /^Environment=HOST=127\.0\.0\.1$/m);
  assert.match(unit, /^Environment=PLEDGE_TRUST_PROXY=true$/m);
  assert.match(unit, /^ExecStart=.* src\/cli\.ts serve$/m);
  assert.match(unit, /^KillSignal=SIGTERM$/m);
});

test('the proxies terminate HTTPS and set the client address rather than pass a forged one on', () => {
  const nginx = read('nginx.conf');
  assert.match(nginx, /listen 443 ssl;/);
  assert.match(nginx, /return 301 https:\/\/\$host\$request_uri;/);
  assert.match(nginx, /proxy_set_header X-Forwarded-For \$remote_addr;/);
  assert.doesNotMatch(nginx, /\$proxy_add_x_forwarded_for/);
  assert.match(nginx, /proxy_set_header X-Forwarded-Proto \$scheme;/);
  const caddy = read('Caddyfile');
  assert.match(caddy, /reverse_proxy 127\.0\.0\.1:3000/);
  assert.match(caddy, /health_uri \/healthz/);
  assert.doesNotMatch(caddy, /trusted_proxies/, 'Caddy then replaces any X-Forwarded-For a client sends');
});
