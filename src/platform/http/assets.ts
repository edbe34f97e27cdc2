import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Static assets are served under content-hashed names, so browsers may cache them for a year: a changed file gets
// a new name.

export const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../public');

export type Assets = {
  /** The public URL of an asset, e.g. `style.css` → `/assets/style.1a2b3c4d5e.css`. */
  url(name: string): string;
  /** The file behind a hashed name, or undefined when the name is unknown or out of date. */
  resolve(hashedName: string): string | undefined;
};

export function loadAssets(dir = PUBLIC_DIR): Assets {
  const byName = new Map<string, string>();
  const byHashed = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const hash = createHash('sha256').update(fs.readFileSync(path.join(dir, entry.name))).digest('hex').slice(0, 10);
    const ext = path.extname(entry.name);
    const hashed = `${path.basename(entry.name, ext)}.${hash}${ext}`;
    byName.set(entry.name, hashed);
    byHashed.set(hashed, entry.name);
  }
  return {
    url(name) {
      const hashed = byName.get(name);
      if (!hashed) throw new Error(`unknown asset ${name}`);
      return `/assets/${hashed}`;
    },
    resolve: (hashedName) => byHashed.get(hashedName),
  };
}
