import { randomUUID } from 'node:crypto';
import { endRoutingWorkflow } from '../support/acd';
import { startStack, type TestStack } from '../support/stack';
import { AcdWorkflow } from '../../workflows/acd/workflow';
import { acdWorkflowId, agentsQuery, enqueueSignal, setAgentStateUpdate } from '../../workflows/acd/contract';
import type { QueueConfig } from '../../domain/acd/model';

/**
 * The upgrade from the routing workflow: a tenant's pre-upgrade AcdWorkflow still holds an available agent
 * and a waiting entry; the worker's watchdog moves both into the routing tables and logs the agent out of
 * the old workflow, so the two can never offer that agent twice.
 */
const TENANT = `handoff-${Date.now() % 1_000_000}`;
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
  await stack.pool.query(`insert into tenants (id, name) values ($1, 'hand-off') on conflict do nothing`, [
    TENANT,
  ]);
  await endRoutingWorkflow(stack, TENANT);
});
afterAll(async () => {
  if (stack) await endRoutingWorkflow(stack, TENANT);
  await stack?.close();
});

test('a pre-upgrade routing workflow hands its agents and waiting entries over to PostgreSQL', async () => {
  const { rows } = await stack.pool.query<{ id: string }>(
    `insert into queues (tenant_id, name, config) values ($1, 'handoff', '{}') returning id`,
    [TENANT],
  );
  const queueId = rows[0]!.id;
  const agentId = randomUUID();
  const agent = {
    id: agentId,
    name: 'Old',
    endpoint: 'Local/101@synthetic-agent/n',
    skills: [],
    queueIds: [queueId],
  };
  const handle = await stack.temporal.workflow.start(AcdWorkflow, {
    workflowId: acdWorkflowId(TENANT),
    taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
    args: [{ tenantId: TENANT }],
  });
  await handle.executeUpdate(setAgentStateUpdate, { args: [{ agent, state: 'available' }] });
  const queue = { id: queueId, skills: [], strategy: 'longest_idle' } as unknown as QueueConfig;
  // A skill the agent lacks keeps the old workflow from pairing them before the hand-off.
  const entryId = `handoff-entry-${randomUUID()}`;
  await handle.signal(enqueueSignal, {
    queue,
    entry: {
      entryId,
      kind: 'call',
      queueId,
      priority: 0,
      skills: [{ name: 'french', minLevel: 1 }],
      enqueuedAt: new Date().toISOString(),
      from: '+15550123',
    },
  });

  // The watchdog hands over within ~30 s: the agent first, then the line.
  const moved = async () => ({
    agent: (
      await stack.pool.query('select state from acd_agents where tenant_id = $1 and agent_id = $2', [
        TENANT,
        agentId,
      ])
    ).rows[0]?.state,
    entries: (
      await stack.pool.query('select queue_id from acd_entries where tenant_id = $1 and entry_id = $2', [
        TENANT,
        entryId,
      ])
    ).rows,
  });
  let now = await moved();
  for (
    let i = 0;
    i < 200 && !(now.agent && now.entries.length);
    i++, await new Promise((r) => setTimeout(r, 250))
  )
    now = await moved();
  expect(now).toEqual({ agent: 'available', entries: [{ queue_id: queueId }] });
  const old = await handle.query(agentsQuery);
  expect(old.find((a) => a.id === agentId)?.state).toBe('offline');
}, 90_000);
