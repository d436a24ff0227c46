import { ensureBootstrap, ensureDefaultNumbers } from '../lib/api-keys';
import { loadConfig } from '../lib/config';
import { createPool, migrate } from '../lib/db';

/** Brings the database schema up to date and makes sure the default tenant and admin key exist. */
async function main(): Promise<void> {
  const config = loadConfig();
  const pool = createPool(config.DATABASE_URL, 1);
  try {
    const applied = await migrate(pool);
    await ensureBootstrap(pool, config.DEFAULT_TENANT, config.ADMIN_API_KEY, config.OPERATOR_API_KEY);
    await ensureDefaultNumbers(pool, config.DEFAULT_TENANT, config.DEFAULT_TENANT_NUMBERS);
    console.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema up to date');
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
