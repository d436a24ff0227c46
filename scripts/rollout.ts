/**
 * npm run rollout -- <build> --percent N [--tenants a,b]   a share of new workflows, and every new call of
 *                                                          the tenants named, to worker build <build>
 * npm run rollout -- <build> --percent 100                 <build> becomes the current build
 * npm run rollout -- --rollback                            back to the build before the rollout
 * npm run rollout -- --status                              where things stand
 * Workers join a build with WORKER_BUILD_ID (and WORKER_DEPLOYMENT); the build's workers must be running
 * before it takes traffic. docs/operations.md, "Rolling out a new worker build".
 */
import { Connection } from '@temporalio/client';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { rollback, rollout, rolloutStatus, type RolloutStatus } from '../lib/rollout';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    percent: { type: 'string' },
    tenants: { type: 'string', default: '' },
    rollback: { type: 'boolean', default: false },
    status: { type: 'boolean', default: false },
  },
});

const show = (s: RolloutStatus) =>
  console.log(
    `current build: ${s.current ?? 'none'}; ramping: ${s.ramping ? `${s.ramping} at ${s.percent} %` : 'none'}` +
      (s.record?.tenants.length ? `; tenants on ${s.record.buildId}: ${s.record.tenants.join(', ')}` : '') +
      (s.record?.previous ? `; a rollback returns to ${s.record.previous}` : ''),
  );

async function main(): Promise<void> {
  const config = loadConfig();
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const where = { namespace: config.TEMPORAL_NAMESPACE, deployment: config.WORKER_DEPLOYMENT };
  try {
    if (values.status) return show(await rolloutStatus(connection, where.namespace, where.deployment));
    if (values.rollback) return show(await rollback(connection, where));
    const [buildId] = positionals;
    const percent = Number(values.percent);
    if (!buildId || !Number.isInteger(percent) || percent < 0 || percent > 100) {
      console.error(
        'usage: npm run rollout -- <build> --percent 0-100 [--tenants a,b] | --rollback | --status',
      );
      process.exit(2);
    }
    const tenants = values.tenants
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    show(await rollout(connection, { ...where, buildId, percent, tenants }));
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
