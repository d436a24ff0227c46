/**
 * npm run observe [-- --port 9090]: a real Prometheus (Debian's) scraping this CTICloud (the gateway, the
 * worker, the Temporal SDK and server, Asterisk) every 15 s with the alert rules of ops/prometheus loaded;
 * its UI and API on 127.0.0.1:<port>. Runs until Ctrl-C; its data stays in the state directory (two days).
 * docs/operations.md says what each metric and alert means.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { prometheusConfig, scrapeTargets } from '../lib/metrics/prometheus-config';

const { values } = parseArgs({ options: { port: { type: 'string', default: '9090' } } });
const config = loadConfig();
const dir = path.join(
  process.env.CTICLOUD_STATE ?? path.join(os.homedir(), '.cache', 'cticloud', 'state'),
  'prometheus',
);
mkdirSync(path.join(dir, 'data'), { recursive: true });
const file = path.join(dir, 'prometheus.yml');
const targets = scrapeTargets(config);
writeFileSync(
  file,
  prometheusConfig(targets, { rulesFile: path.resolve(__dirname, '../ops/prometheus/alerts.yml') }),
);
console.log(`Prometheus on http://127.0.0.1:${values.port}, scraping:`);
for (const t of targets) console.log(`  ${t.job.padEnd(16)} http://${t.address}${t.path ?? '/metrics'}`);
const prometheus = spawn(
  'prometheus',
  [
    `--config.file=${file}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    '--storage.tsdb.retention.time=2d',
    `--web.listen-address=127.0.0.1:${values.port}`,
  ],
  { stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => prometheus.kill(signal));
prometheus.on('exit', (code) => process.exit(code ?? 0));
