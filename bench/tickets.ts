/**
 * Tickets: creation rate through the API (each ticket a workflow plus its projection), and the latency of
 * GET /v1/tickets over 100,000 tickets, against the same queries run straight on PostgreSQL (the floor).
 * Usage: npm run bench -- tickets [--create 300] [--rows 100000] [--concurrency 16]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { createPool } from '../lib/db';
import { createApiKey } from '../test/support/keys';
import { ManagedProcess } from '../test/support/process';
import { ready } from '../test/support/stack';
import { Client, Connection } from '@temporalio/client';
import { summarize } from './stats';

const { values: args } = parseArgs({
  options: {
    create: { type: 'string', default: '300' },
    rows: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '16' },
    queries: { type: 'string', default: '300' },
  },
});
const PORT = 3341;
const tenant = `bench-tickets-${Date.now()}`;

async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) results[i] = await task(i);
    }),
  );
  return results;
}

async function main(): Promise<void> {
  const config = loadConfig({ API_PORT: String(PORT), LOG_LEVEL: 'warn' });
  const db = createPool(config.DATABASE_URL, 8);
  const key = await createApiKey(db, tenant, 'admin', 'bench');
  const worker = new ManagedProcess('bench-worker', 'workers/worker.ts', {
    ARI_APP: 'cticloud-bench-tickets',
    TEMPORAL_TASK_QUEUE: 'bench-tickets',
  }).start();
  const gateway = new ManagedProcess('bench-gateway', 'gateway/server.ts', {
    API_PORT: String(PORT),
    TEMPORAL_TASK_QUEUE: 'bench-tickets',
  }).start();
  await Promise.all([worker.waitFor(ready.worker, 90_000), gateway.waitFor(ready.gateway, 60_000)]);
  const base = `http://127.0.0.1:${PORT}`;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  try {
    // 1. Creation through the API: a workflow started and queried per ticket.
    const n = Number(args.create);
    const started = Date.now();
    const createMs = await pool(n, Number(args.concurrency), async (i) => {
      const t0 = performance.now();
      const res = await fetch(`${base}/v1/tickets`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ subject: `Bench ticket ${i}`, description: 'created by the benchmark' }),
      });
      if (res.status !== 201) throw new Error(`create: HTTP ${res.status} ${await res.text()}`);
      return performance.now() - t0;
    });
    const createRate = n / ((Date.now() - started) / 1000);

    // 2. Listing over 100,000 tickets: the projection is seeded straight in PostgreSQL.
    const rows = Number(args.rows);
    await db.query(
      `insert into tickets (id, tenant_id, subject, description, status, priority, assignee, tags, created_at, updated_at, version)
       select gen_random_uuid(), $1, 'Seeded ticket ' || g, case when g % 7 = 0 then 'printer on fire' else 'slow network' end,
              (array['new','open','pending','on_hold','solved','closed'])[1 + g % 6],
              (array['low','normal','high','urgent'])[1 + g % 4], 'agent-' || (g % 50), '{}',
              now() - make_interval(secs => g), now() - make_interval(secs => g), 1
         from generate_series(1, $2) g`,
      [tenant, rows],
    );
    await db.query('analyze tickets');
    const queries = ['', '?status=open', '?assignee=agent-7&priority=high', '?q=printer'];
    const api: Record<string, ReturnType<typeof summarize>> = {};
    const sql: Record<string, ReturnType<typeof summarize>> = {};
    for (const q of queries) {
      const times = await pool(Number(args.queries), 8, async () => {
        const t0 = performance.now();
        const res = await fetch(`${base}/v1/tickets${q}`, { headers });
        await res.arrayBuffer();
        return performance.now() - t0;
      });
      api[q || '(none)'] = summarize(times);
      const params = new URLSearchParams(q.slice(1));
      const sqlTimes = await pool(Number(args.queries), 8, async () => {
        const t0 = performance.now();
        await db.query(
          `select id, subject, status, priority, assignee, queue, tags, sla_breached, created_at, updated_at from tickets
            where tenant_id = $1 and ($2::text is null or status = $2) and ($3::text is null or assignee = $3)
              and ($4::text is null or priority = $4) and ($5::text is null or search @@ plainto_tsquery('simple', $5))
            order by updated_at desc, id desc limit 50`,
          [tenant, params.get('status'), params.get('assignee'), params.get('priority'), params.get('q')],
        );
        return performance.now() - t0;
      });
      sql[q || '(none)'] = summarize(sqlTimes);
    }
    const result = {
      tenant,
      created: n,
      createRatePerSec: Math.round(createRate * 10) / 10,
      createMs: summarize(createMs),
      rows,
      listApiMs: api,
      listSqlMs: sql,
    };
    console.log(JSON.stringify(result, null, 2));
    const dir = path.resolve(__dirname, 'results');
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, `tickets-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
      JSON.stringify(result, null, 2),
    );
  } finally {
    await db.query('delete from tickets where tenant_id = $1', [tenant]);
    // The benchmark's tickets are open workflows with SLA timers: end them.
    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    for await (const w of client.workflow.list({
      query: `TenantId = "${tenant}" AND ExecutionStatus = "Running"`,
    })) {
      await client.workflow
        .getHandle(w.workflowId)
        .terminate('benchmark done')
        .catch(() => undefined);
    }
    await connection.close();
    await Promise.all([worker.stop(), gateway.stop()]);
    await db.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
