const t0 = performance.now();
const lap = (l: string) => console.log(l, Math.round(performance.now() - t0));
const { PGlite } = await import('@electric-sql/pglite');
const opening = PGlite.create('/tmp/pb/data/pglite');
await import('drizzle-orm/pglite'); lap('drizzle pglite');
await import('/work/main/src/server.ts'); lap('server');
await opening; lap('open');
