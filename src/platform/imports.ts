import fs from 'node:fs';
import { enableCompileCache, registerHooks, type ResolveFnOutput } from 'node:module';

// Two things make the `pledge` command start faster (measured with --cpu-prof on a seeded PGlite shop).
//
// Node's compile cache keeps the compiled code of every module on disk (in the OS temp directory, or
// NODE_COMPILE_CACHE), so that a second start does not parse and compile them all again: ~0.5 s.
//
// Node 24 looks up the package scope of every module it resolves and loads, and each look-up re-parses that
// package's `exports` map (the spread of the scope object runs its lazy getter). drizzle-orm's package.json is 179 KB
// and it has ~450 modules: the parsing alone took ~0.9 s of every start. Inside
// drizzle-orm, a relative import names its file exactly and every .js file is ESM ("type": "module"), so both steps
// can be answered here without the look-up. A bare `drizzle-orm…` import from the shop's own files resolves the same
// from every file, so it is resolved once per specifier. Everything else goes through Node's own resolution.

const PROJECT = new URL('../../', import.meta.url).href;
const DRIZZLE = new URL('node_modules/drizzle-orm/', PROJECT).href;

/** Call once, before the heavy modules are first imported (the `pledge` command does, as it starts). */
export function fasterImports(): void {
  // A cache that cannot be written (read-only temp directory) only leaves the start as slow as before.
  enableCompileCache();
  const resolved = new Map<string, ResolveFnOutput>();
  registerHooks({
    resolve(specifier, context, next) {
      const parent = context.parentURL;
      if (parent?.startsWith(DRIZZLE) && /^\.\.?\/.*\.js$/.test(specifier)) {
        return { url: new URL(specifier, parent).href, format: 'module', shortCircuit: true };
      }
      if (/^drizzle-orm(\/|$)/.test(specifier) && parent?.startsWith(PROJECT) && !parent.includes('/node_modules/')) {
        const key = `${specifier} ${context.conditions.join()}`;
        const earlier = resolved.get(key);
        if (earlier) return { ...earlier, shortCircuit: true };
        const answer = next(specifier, context);
        resolved.set(key, answer);
        return answer;
      }
      return next(specifier, context);
    },
    load(url, context, next) {
      if (url.startsWith(DRIZZLE) && url.endsWith('.js')) return { format: 'module', source: fs.readFileSync(new URL(url)), shortCircuit: true };
      return next(url, context);
    },
  });
}
