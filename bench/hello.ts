import Fastify from 'fastify';

// A bare Fastify hello-world: the ceiling Pledge's throughput is compared against in bench/run.ts.
// `node bench/hello.ts <port>` (or PORT=<port>); it listens on 127.0.0.1 only.

const raw = process.argv[2] ?? process.env.PORT ?? '';
const port = Number(raw);
if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
  console.error(`hello: give a port from 1 to 65535 as the first argument or in PORT (got ${JSON.stringify(raw)})`);
  process.exit(2);
}

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port, host: '127.0.0.1' });

// Closing the server leaves nothing to keep the process alive, so it exits on its own.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close());
