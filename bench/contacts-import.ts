/**
 * Contacts import: a 1,000,000-row CSV streamed into a campaign, against PostgreSQL's own COPY of the same
 * file in the same run. Usage: `DATABASE_URL=… npx tsx bench/contacts-import.ts [--rows 1000000] [--http]`
 * (the test database by default; see docs/benchmarks.md).
 *
 * 1. Writes the CSV to a temporary file, streamed: phone (90 % E.164, 10 % national US format), time_zone
 *    (given on 20 % of rows), three custom fields; 1.3 % bad rows (bad numbers, unknown zones) and 2 % repeats
 *    of an earlier number. Every row has the right column count, so COPY can take the same file.
 * 2. Floor: `psql \copy` of the file into an unindexed table of text columns (parse and store, nothing else).
 * 3. lib/contacts-import.ts into a throwaway campaign; with --http, again through POST /v1/campaigns/:id/
 *    contacts (text/csv, streamed from disk) on a gateway in this process.
 * Each phase reports wall time, rows/s and the peak RSS of this process (sampled every 100 ms). The tenant,
 * its campaigns and the file are deleted at the end.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs, promisify } from 'node:util';
import { buildGateway } from '../gateway/app';
import { generateApiKey, hashApiKey } from '../lib/api-keys';
import { loadConfig } from '../lib/config';
import { IMPORT_LIMITS, importContactsCsv, type ImportReport } from '../lib/contacts-import';
import { createPool, migrate } from '../lib/db';
import { campaignCounts } from '../gateway/routes/campaigns/store';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: String(IMPORT_LIMITS.batchRows) },
    http: { type: 'boolean', default: false },
  },
});
const ROWS = Number(args.rows);
const TENANT = 'bench-contacts';
const config = loadConfig();
const pool = createPool(config.DATABASE_URL, 4);

/** Valid US area codes across the zones, so derived zones vary. */
const AREAS = ['212', '312', '415', '303', '602', '713', '907', '808', '404', '617', '206', '305'] as const;
const ZONES = ['America/New_York', 'Europe/Paris', 'Asia/Tokyo', 'America/Chicago'] as const;

/** Row i of the file; deterministic, so the expected counts are known. */
function* rows(count: number): Generator<string> {
  yield 'phone,time_zone,first_name,account,balance\n';
  for (let i = 0; i < count; i++) {
    // Every 50th row repeats the number of row i - 1001: a duplicate, merged.
    const n = i % 50 === 49 && i > 1000 ? i - 1001 : i;
    const area = AREAS[n % AREAS.length]!;
    const sub = String(2_000_000 + Math.floor(n / AREAS.length)).padStart(7, '0');
    let phone = n % 10 === 3 ? `(${area}) ${sub.slice(0, 3)}-${sub.slice(3)}` : `+1${area}${sub}`;
    let zone = i % 5 === 0 ? ZONES[i % ZONES.length]! : '';
    if (i % 100 === 17) phone = `+1 555 ${i}`; // not a valid number
    if (i % 300 === 41) zone = 'Mars/Olympus'; // not a zone
    yield `${phone},${zone},Name${i},ACC-${n},${(i % 997) * 1.25}\n`;
  }
}

/** Lines of 256 rows: one write per chunk rather than per row. */
function* chunks(count: number): Generator<string> {
  let chunk = '';
  let lines = 0;
  for (const line of rows(count)) {
    chunk += line;
    if (++lines === 256) {
      yield chunk;
      chunk = '';
      lines = 0;
    }
  }
  if (chunk) yield chunk;
}

interface Phase {
  name: string;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  startRssMb: number;
  peakHeapMb: number;
  /** CPU time of this process (user + system): the rest of the wall time it waited for PostgreSQL. */
  cpuSeconds: number;
  report?: ImportReport;
}

async function measure(name: string, run: () => Promise<ImportReport | void>): Promise<Phase> {
  const mb = (bytes: number) => Math.round(bytes / 1048576);
  const start = process.memoryUsage().rss;
  let peak = start;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const { rss, heapUsed } = process.memoryUsage();
    peak = Math.max(peak, rss);
    peakHeap = Math.max(peakHeap, heapUsed);
  }, 100);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const report = (await run()) ?? undefined;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const phase = {
    name,
    seconds: Math.round(seconds * 10) / 10,
    rowsPerSecond: Math.round(ROWS / seconds),
    peakRssMb: mb(peak),
    startRssMb: mb(start),
    peakHeapMb: mb(peakHeap),
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    report,
  };
  const { errors: _errors, ...counts } = report ?? ({ errors: [] } as Partial<ImportReport>);
  console.log(
    `${name}: ${phase.seconds} s, ${phase.rowsPerSecond} rows/s, peak RSS ${phase.peakRssMb} MB (heap ${phase.peakHeapMb} MB), CPU ${phase.cpuSeconds} s`,
    counts,
  );
  return phase;
}

const newCampaign = async (name: string): Promise<string> =>
  (
    await pool.query<{ id: string }>(
      `insert into campaigns (tenant_id, name, config) values ($1, $2, '{}') returning id`,
      [TENANT, name],
    )
  ).rows[0]!.id;

/** Streams the file to the endpoint as text/csv; the gateway runs in this process (its memory counts). */
async function uploadOverHttp(file: string, campaignId: string): Promise<ImportReport> {
  const app = await buildGateway({ config, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const key = generateApiKey();
  await pool.query(
    `insert into api_keys (tenant_id, name, role, key_hash, prefix) values ($1, 'bench', 'admin', $2, $3)`,
    [TENANT, hashApiKey(key), key.slice(0, 8)],
  );
  try {
    const { port } = app.server.address() as AddressInfo;
    return await new Promise<ImportReport>((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `/v1/campaigns/${campaignId}/contacts?country=US`,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () =>
            response.statusCode === 200
              ? resolve(JSON.parse(body))
              : reject(new Error(`${response.statusCode} ${body}`)),
          );
        },
      );
      request.on('error', reject);
      createReadStream(file).pipe(request);
    });
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  await migrate(pool);
  await pool.query(`insert into tenants (id, name) values ($1, $1) on conflict do nothing`, [TENANT]);
  const dir = path.join(os.tmpdir(), 'cticloud-bench');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `contacts-${ROWS}.csv`);
  const phases: Phase[] = [];
  try {
    const t0 = performance.now();
    await pipeline(Readable.from(chunks(ROWS)), createWriteStream(file));
    const bytes = (await stat(file)).size;
    console.log(
      `wrote ${ROWS} rows, ${Math.round(bytes / 1048576)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    await pool.query(`drop table if exists bench_contacts_copy`);
    await pool.query(
      `create table bench_contacts_copy (phone text, time_zone text, first_name text, account text, balance text)`,
    );
    phases.push(
      await measure('COPY (floor)', async () => {
        await promisify(execFile)('psql', [
          config.DATABASE_URL,
          '-c',
          `\\copy bench_contacts_copy from '${file}' with (format csv, header true)`,
        ]);
      }),
    );
    await pool.query(`drop table bench_contacts_copy`);

    const campaign = await newCampaign(`bench ${Date.now()}`);
    phases.push(
      await measure('importContactsCsv', () =>
        importContactsCsv(pool, campaign, createReadStream(file), {
          defaultCountry: 'US',
          batchRows: Number(args.batch),
        }),
      ),
    );
    // What GET /v1/campaigns/:id and a deep page cost on a campaign of this size.
    const t1 = performance.now();
    const counts = await campaignCounts(pool, campaign);
    const countsMs = Math.round(performance.now() - t1);
    const { rows: tail } = await pool.query<{ id: string }>(
      'select id from campaign_contacts where campaign_id = $1 order by id desc offset 100 limit 1',
      [campaign],
    );
    const t2 = performance.now();
    await pool.query(
      `select id from campaign_contacts where campaign_id = $1 and id > $2 order by id limit 101`,
      [campaign, tail[0]?.id ?? '0'],
    );
    const pageMs = Math.round((performance.now() - t2) * 10) / 10;
    console.log(`campaignCounts: ${countsMs} ms (${counts.contacts} contacts); last page: ${pageMs} ms`);
    if (args.http) {
      const other = await newCampaign(`bench http ${Date.now()}`);
      phases.push(await measure('POST /v1/campaigns/:id/contacts', () => uploadOverHttp(file, other)));
    }
    const out = path.resolve(
      __dirname,
      'results',
      `contacts-import-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
    );
    await writeFile(
      out,
      JSON.stringify({ rows: ROWS, bytes, node: process.version, phases, countsMs, pageMs }, null, 2),
    );
    console.log(`results: ${path.relative(process.cwd(), out)}`);
  } finally {
    // Contacts go with their campaign (on delete cascade); keys and the tenant after them.
    await pool.query(`drop table if exists bench_contacts_copy`);
    await pool.query(`delete from campaigns where tenant_id = $1`, [TENANT]);
    await pool.query(`delete from api_keys where tenant_id = $1`, [TENANT]);
    await pool.query(`delete from tenants where id = $1`, [TENANT]);
    await rm(file, { force: true });
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
