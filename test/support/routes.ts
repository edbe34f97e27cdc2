import type { FastifyInstance } from 'fastify';

// Every route the app serves, read from the app itself (Fastify's route tree, platform routes included), as
// "METHOD /path/:param" keys, HEAD left out (Fastify adds one to every GET). Tests that must cover every route
// compare their tables with this list, so a new route fails them until someone says how it is to be treated.

export function servedRoutes(app: FastifyInstance): string[] {
  const served = new Set<string>();
  const path: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const node = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!node) continue;
    const depth = node[1]!.length / 4;
    path.length = depth;
    path.push(node[2]!);
    for (const method of node[3]?.split(', ') ?? []) if (method !== 'HEAD') served.add(`${method} ${path.join('')}`);
  }
  return [...served];
}
