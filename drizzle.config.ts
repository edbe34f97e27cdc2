import { defineConfig } from 'drizzle-kit';

// One migration history for PGlite and PostgreSQL, generated from every capability's schema.ts.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/platform/**/schema.ts', './src/privacy/**/schema.ts', './src/shop/**/schema.ts'],
  out: './drizzle',
  casing: 'snake_case',
});
