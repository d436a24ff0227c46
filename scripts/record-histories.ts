/**
 * Records workflow histories from a namespace into test/histories/<release>/, a few of each workflow type,
 * for test/unit/replay-previous-release.test.ts. Run it against a namespace where the previous release's
 * test suite ran (see test/histories/README.md):
 *   npx tsx scripts/record-histories.ts --namespace cticloud-old --release 3fdb2f6
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const { values } = parseArgs({
  options: {
    namespace: { type: 'string' },
    release: { type: 'string' },
    address: { type: 'string', default: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' },
    'per-type': { type: 'string', default: '4' },
    'max-bytes': { type: 'string', default: '400000' },
  },
});
if (!values.namespace || !values.release) throw new Error('--namespace and --release are required');

async function main(): Promise<void> {
  const connection = await Connection.connect({ address: values.address });
  const client = new Client({ connection, namespace: values.namespace });
  const dir = path.resolve(__dirname, '..', 'test', 'histories', values.release!);
  await mkdir(dir, { recursive: true });
  const perType = Number(values['per-type']);
  const kept = new Map<string, number>();
  // Closed and running alike: a running routing or ticket workflow's history is what a deploy replays.
  for await (const wf of client.workflow.list()) {
    const n = kept.get(wf.type) ?? 0;
    if (n >= perType) continue;
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    // protobufjs' object form (64-bit numbers and bytes as strings, enums by name): History.fromObject reads
    // it back exactly. (common's historyToJSON trips over a second protobufjs copy in this install.)
    const { History } = temporal.api.history.v1;
    const json = JSON.stringify(
      History.toObject(History.fromObject(history), { longs: String, enums: String, bytes: String }),
    );
    if (json.length > Number(values['max-bytes'])) continue;
    kept.set(wf.type, n + 1);
    const file = `${wf.type}-${n + 1}.json`;
    await writeFile(
      path.join(dir, file),
      `{"workflowId":${JSON.stringify(wf.workflowId)},"history":${json}}\n`,
    );
    console.log(`${file}: ${wf.status.name}, ${history.events?.length ?? 0} events, ${json.length} bytes`);
  }
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
