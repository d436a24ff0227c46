import type { FlowCallStatus } from '../../workflows/flow-call/contract';
import { placeCall, type CallerScript, type PlacedCall } from './caller';
import { acdWorkflowId } from '../../workflows/acd/contract';
import { callWorkflow, type TestStack } from './stack';
import { provisionNumber } from './numbers';

export const json = (method: string, body?: unknown): RequestInit => ({
  method,
  body: body === undefined ? undefined : JSON.stringify(body),
  headers: body === undefined ? undefined : { 'content-type': 'application/json' },
});
export const unique = (name: string) => `${name} ${Date.now()}-${Math.round(Math.random() * 1e6)}`;

/** Queues, agents, flows and callers for ACD tests, through the public API. */
export function acdKit(stack: Pick<TestStack, 'api' | 'pool' | 'ari' | 'config' | 'temporal'>) {
  const expectStatus = (res: { status: number; body: unknown }, status: number) => {
    if (res.status !== status) throw new Error(`HTTP ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as Record<string, unknown> & { id: string };
  };
  const kit = {
    async queue(settings: Record<string, unknown> = {}) {
      return expectStatus(
        await stack.api(
          '/v1/queues',
          json('POST', {
            name: unique('Q'),
            wrapUpSec: 1,
            ringTimeoutSec: 5,
            announce: { position: false, estimatedWait: false },
            ...settings,
          }),
        ),
        201,
      );
    },
    /** An agent answered by the synthetic-agent dialplan: 1xx talks xx seconds, 9xx never answers. */
    async agent(ext: string, queueIds: string[], skills: { name: string; level: number }[] = []) {
      return expectStatus(
        await stack.api(
          '/v1/agents',
          json('POST', {
            name: unique(`agent ${ext}`),
            endpoint: `Local/${ext}@synthetic-agent/n`,
            queueIds,
            skills,
          }),
        ),
        201,
      );
    },
    setState: (agentId: string, state: string, reason?: string) =>
      stack.api(`/v1/agents/${agentId}/state`, json('POST', { state, reason })),
    /** A queue without wrap-up and one available agent in it (`ext` as for `agent`): where callbacks go. */
    async queueWithAvailableAgent(ext: string) {
      const queue = await kit.queue({ wrapUpSec: 0 });
      const agent = await kit.agent(ext, [queue.id]);
      await kit.setState(agent.id, 'available');
      return { queue, agent };
    },
    /** A published flow that queues the caller, then hangs up; answers the number that reaches it. */
    async queueFlow(queueId: string, params: Record<string, unknown> = {}, afterOverflow?: object[]) {
      const nodes = [
        { id: 'wait', type: 'queue', params: { queueId, ...params } },
        { id: 'served', type: 'hangup' },
        ...(afterOverflow ?? [{ id: 'overflow', type: 'hangup' }]),
      ];
      const edges = [
        { from: 'wait', exit: 'served', to: 'served' },
        { from: 'wait', exit: 'overflow', to: 'overflow' },
        ...(afterOverflow
          ? [
              { from: 'overflow', exit: 'accepted', to: 'served' },
              { from: 'overflow', exit: 'declined', to: 'served' },
            ]
          : []),
      ];
      const flow = expectStatus(
        await stack.api(
          '/v1/flows',
          json('POST', {
            name: unique('ACD'),
            definition: { schemaVersion: 1, start: 'wait', nodes, edges },
          }),
        ),
        201,
      );
      expectStatus(await stack.api(`/v1/flows/${flow.id}/publish`, json('POST')), 201);
      const number = `5${Date.now() % 10_000_000}`;
      // The number goes to whichever tenant this stack's key is (a test may hand acdKit another tenant's view).
      const me = expectStatus(await stack.api('/v1/me'), 200) as unknown as { tenantId: string };
      await provisionNumber(stack.pool, me.tenantId, number);
      expectStatus(await stack.api('/v1/numbers', json('POST', { number, flowId: flow.id })), 201);
      return number;
    },
    call: (to: string, extra: CallerScript = {}) =>
      placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
        to,
        holdSec: 60,
        tone: '440',
        ...extra,
      }),
    async result(c: PlacedCall) {
      return (await (await callWorkflow(stack.temporal, c.workflowId)).result()) as FlowCallStatus;
    },
  };
  return kit;
}

/**
 * Starts a test tenant's routing afresh: its routing rows in PostgreSQL are deleted (a crashed earlier run
 * may have left agents on a call or entries in line), and a routing workflow from before routing moved to
 * PostgreSQL is ended. Only for a file's own tenant: `default` is shared.
 */
export async function endRoutingWorkflow(stack: TestStack, tenantId: string): Promise<void> {
  for (const table of ['acd_entries', 'acd_agents', 'acd_outcomes', 'acd_round_robin']) {
    await stack.pool.query(`delete from ${table} where tenant_id = $1`, [tenantId]);
  }
  await stack.temporal.workflow
    .getHandle(acdWorkflowId(tenantId))
    .terminate('a test file starts or ends with its own tenant')
    .catch(() => undefined);
}
