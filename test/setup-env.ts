// The suite's own corner of the shared infrastructure: its Stasis app, Temporal namespace, database and port,
// so it can run beside `npm start` on the same machine.
const defaults: Record<string, string> = {
  ARI_APP: 'cticloud-test',
  TEMPORAL_NAMESPACE: 'cticloud-test',
  TEMPORAL_TASK_QUEUE: 'calls-test',
  DATABASE_URL: 'postgres://cticloud:cticloud@127.0.0.1:5432/cticloud_test',
  API_PORT: '3100',
  // Metrics of the suite's gateway and worker (the sites and benches' processes find theirs taken and run
  // without: lib/metrics/serve.ts).
  GATEWAY_METRICS_PORT: '9664',
  WORKER_METRICS_PORT: '9665',
  TEMPORAL_SDK_METRICS_PORT: '9666',
  ADMIN_API_KEY: 'cti_test_admin_key_0123456789abcdef',
  OPERATOR_API_KEY: 'cti_test_operator_key_0123456789abcdef',
  DEFAULT_TENANT: 'default',
  OUTBOUND_DIAL: 'Local/{number}@synthetic-party/n',
  // Webhooks and http nodes may reach loopback only (the suite's receivers), never another machine.
  OUTBOUND_POLICY: 'loopback-only',
  LOG_LEVEL: 'warn',
};
// CTICLOUD_TEST_* overrides let a second suite run beside this one (its own app, task queue, port, tenant).
for (const [key, value] of Object.entries(defaults))
  process.env[key] = process.env[`CTICLOUD_TEST_${key}`] ?? value;
