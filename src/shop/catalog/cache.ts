import { eq } from 'drizzle-orm';
import type { Executor } from '../../platform/db/index.ts';
import { catalogVersion } from './schema.ts';

// Rendered catalogue pages kept in memory. Catalogue pages are the same for every visitor and change rarely, so
// serving them from memory is what lets the listing run near the speed of a bare HTTP server. Before serving, an
// instance checks the catalogue's version at most once per `checkEveryMs`; when it has moved (any instance, or a
// direct database edit, changed the catalogue), every entry is dropped. So a change shows within that interval.

export type CatalogCache = {
  get<T>(key: string, load: () => Promise<T>): Promise<T>;
  /** Drops everything now (this instance); other instances follow at their next version check. */
  clear(): void;
};

const MAX_ENTRIES = 2000; // pages × categories × products: a crawler walking page=1…N cannot grow it without bound

/** `stamp` names what else the pages show (the layout's announcement): when it changes, every entry is dropped. */
export function createCatalogCache(db: Executor, checkEveryMs: number, stamp: () => string = () => ''): CatalogCache {
  let entries = new Map<string, Promise<unknown>>();
  let version: number | undefined;
  let stamped = stamp();
  let checkedAt = -Infinity;
  let checking: Promise<void> | undefined;

  async function check(): Promise<void> {
    const [row] = await db.select({ version: catalogVersion.version }).from(catalogVersion).where(eq(catalogVersion.id, 1));
    const current = row?.version ?? 0;
    if (current !== version) {
      entries = new Map();
      version = current;
    }
    checkedAt = performance.now();
  }

  return {
    async get<T>(key: string, load: () => Promise<T>): Promise<T> {
      if (performance.now() - checkedAt >= checkEveryMs) {
        // One check at a time; concurrent requests wait for it rather than each asking the database.
        checking ??= check().finally(() => (checking = undefined));
        await checking;
      }
      const current = stamp();
      if (current !== stamped) {
        entries = new Map();
        stamped = current;
      }
      let entry = entries.get(key) as Promise<T> | undefined;
      if (!entry) {
        if (entries.size >= MAX_ENTRIES) entries = new Map();
        const generation = entries;
        entry = load();
        generation.set(key, entry);
        // A failed load is not remembered.
        entry.catch(() => generation.get(key) === entry && generation.delete(key));
      }
      return entry;
    },
    clear() {
      entries = new Map();
      checkedAt = -Infinity;
    },
  };
}
