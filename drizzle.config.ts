import { defineConfig } from 'drizzle-kit';

// The pglite driver lets `npm run db:generate` work offline, with no server.
export default defineConfig({
  dialect: 'postgresql',
  driver: 'pglite',
  schema: './src/db/schema.ts',
  out: './migrations',
  dbCredentials: { url: 'memory://' },
});
