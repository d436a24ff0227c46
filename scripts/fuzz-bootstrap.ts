import { ensureBootstrap } from '../lib/api-keys';
import { loadConfig } from '../lib/config';
import { createPool, migrate } from '../lib/db';

/** The fuzz tenant and its admin key (scripts/fuzz.sh): created once, kept apart from every other tenant. */
async function main(): Promise<void> {
  const config = loadConfig();
  const pool = createPool(config.DATABASE_URL, 1);
  try {
    await migrate(pool);
    await ensureBootstrap(pool, config.DEFAULT_TENANT, config.ADMIN_API_KEY, config.OPERATOR_API_KEY);
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
