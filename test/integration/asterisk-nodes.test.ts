import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { connectAri } from '../../asterisk/ari';
import { AriCommands } from '../../asterisk/ari-commands';
import { ariTaskQueue } from '../../domain/asterisk-nodes';
import type { CallStatus } from '../../workflows/call/contract';
import { acdKit, json } from '../support/acd';
import { channelsCreatedOn } from '../support/ari-log';
import { placeCall } from '../support/caller';
import { callWorkflow, startStack, type TestStack } from '../support/stack';

/**
 * Two Asterisk processes from the same chroot (the second with its own config, ports, spool and database),
 * and a third node that is configured but never runs. Calls on both live nodes at once; each channel's
 * commands run on its node's task queue; new outbound calls go to live nodes only.
 */
const ROOT = path.resolve(__dirname, '../..');
const SECOND = { name: 'ast2', offset: '100', url: 'http://127.0.0.1:8188' } as const;
const DEAD = { name: 'ast3', url: 'http://127.0.0.1:8189' } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: TestStack;
let second: AriCommands;
const previousNodes = process.env.ASTERISK_NODES;
beforeAll(async () => {
  execFileSync('bash', [path.join(ROOT, 'scripts/asterisk-node.sh'), 'start', SECOND.name, SECOND.offset], {
    stdio: 'inherit',
  });
  const primary = `${process.env.ASTERISK_NODE ?? 'ast1'}=${process.env.ARI_URL ?? 'http://127.0.0.1:8088'}`;
  process.env.ASTERISK_NODES = `${primary},${SECOND.name}=${SECOND.url},${DEAD.name}=${DEAD.url}`;
  stack = await startStack({ gateway: true });
  await stack.worker.waitFor(new RegExp(`"node":"${SECOND.name}".*"msg":"node worker ready"`), 60_000);
  second = new AriCommands(
    await connectAri({ url: SECOND.url, user: stack.config.ARI_USER, password: stack.config.ARI_PASSWORD }),
  );
}, 180_000);
afterAll(async () => {
  await stack?.close();
  if (previousNodes === undefined) delete process.env.ASTERISK_NODES;
  else process.env.ASTERISK_NODES = previousNodes;
  execFileSync('bash', [path.join(ROOT, 'scripts/asterisk-node.sh'), 'stop', SECOND.name], {
    stdio: 'inherit',
  });
});

/** The task queues a workflow's activities were scheduled on, by activity type. */
async function queuesOf(workflowId: string): Promise<Map<string, Set<string>>> {
  const history = await stack.temporal.workflow.getHandle(workflowId).fetchHistory();
  const queues = new Map<string, Set<string>>();
  for (const e of history.events ?? []) {
    const a = e.activityTaskScheduledEventAttributes;
    if (!a?.activityType?.name || !a.taskQueue?.name) continue;
    const set = queues.get(a.activityType.name) ?? new Set<string>();
    set.add(a.taskQueue.name);
    queues.set(a.activityType.name, set);
  }
  return queues;
}

test('calls on two Asterisk nodes at once: each channel is driven through its own node', async () => {
  const primaryNode = stack.config.ASTERISK_NODE;
  const placed = await Promise.all(
    [0, 1, 2, 3, 4, 5].map((i) => {
      const onSecond = i % 2 === 1;
      return placeCall(
        onSecond ? second : stack.ari,
        stack.config.ARI_APP,
        onSecond ? SECOND.name : primaryNode,
        { digits: `${i}${i}#`, delaySec: 1 },
      ).then((call) => ({ call, node: onSecond ? SECOND.name : primaryNode, digits: `${i}${i}` }));
    }),
  );
  for (const { call, node, digits } of placed) {
    const result = (await (await callWorkflow(stack.temporal, call.workflowId)).result()) as CallStatus;
    expect(result).toMatchObject({ digits, disposition: 'answered' });
    const queues = await queuesOf(call.workflowId);
    // Reading digits and hanging up ran where the channel lives, nowhere else.
    expect([...(queues.get('collectDigits') ?? [])]).toEqual([
      ariTaskQueue(stack.config.TEMPORAL_TASK_QUEUE, node),
    ]);
    expect([...(queues.get('hangup') ?? [])]).toEqual([ariTaskQueue(stack.config.TEMPORAL_TASK_QUEUE, node)]);
  }
}, 120_000);

test('callbacks go to live nodes in turn, both legs on one node, dialed once, recordings from their node', async () => {
  const { queue: makeQueue, agent: makeAgent, setState } = acdKit(stack);
  const since = new Date();
  const queue = await makeQueue({ wrapUpSec: 0, record: true });
  for (const ext of ['104', '105']) {
    const agent = await makeAgent(ext, [queue.id]);
    await setState(agent.id, 'available');
  }
  const numbers = ['171', '172', '173', '174'];
  const ids: string[] = [];
  for (const number of numbers) {
    const created = await stack.api(
      '/v1/callbacks',
      json('POST', { number, queueId: queue.id, maxAttempts: 1 }),
    );
    expect(created.status).toBe(201);
    ids.push(created.body.id as string);
  }
  const states = new Map<string, string>();
  for (let i = 0; i < 240 && [...states.values()].filter((s) => s === 'completed').length < ids.length; i++) {
    await sleep(500);
    for (const id of ids) states.set(id, (await stack.api(`/v1/callbacks/${id}`)).body.state as string);
  }
  expect([...states.values()]).toEqual(ids.map(() => 'completed'));

  const created = await channelsCreatedOn(stack, since);
  const nodesUsed = new Set<string>();
  for (const number of numbers) {
    const customer = created.filter(
      (c) => c.channel?.name.startsWith(`Local/${number}@synthetic-party`) && c.channel.name.endsWith(';1'),
    );
    expect(customer).toHaveLength(1);
    nodesUsed.add(customer[0]!.node);
  }
  // Never the node that does not answer; both that do.
  expect([...nodesUsed].sort()).toEqual([stack.config.ASTERISK_NODE, SECOND.name].sort());
  expect(created.some((c) => c.node === DEAD.name)).toBe(false);
  // A callback's agent and customer legs are bridged, so on one node.
  const legsOf = (id: string) => created.filter((c) => c.channel?.id.includes(id));
  for (const id of ids) {
    const legs = legsOf(id);
    expect(legs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(legs.map((l) => l.node)).size).toBe(1);
  }
  // Each conversation's recording was fetched from the store of the Asterisk that made it.
  const { rows } = await stack.pool.query<{ n: string }>(
    `select count(*) as n from recordings where kind = 'call' and created_at >= $1 and call_id like any($2)`,
    [since, ids.map((id) => `%${id}%`)],
  );
  expect(Number(rows[0]!.n)).toBe(ids.length);
}, 180_000);

test('SIGTERM stops the worker by itself, a configured node that never answered notwithstanding', async () => {
  // Exit code 0, not the null of the SIGKILL that follows 10 s of waiting.
  expect(await stack.worker.stop('SIGTERM')).toBe(0);
}, 30_000);
