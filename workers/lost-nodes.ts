/**
 * The survivor's answer for Asterisk nodes declared lost (lib/sites/lost-nodes.ts): while this worker serves
 * its namespace, a worker per lost node polls that node's task queue and fails each command with NodeLost
 * (activities/lost-node.ts), so the calls, dials and conversations left on a dead site's Asterisk end
 * instead of waiting for it for ever. A node this worker drives itself is never taken for lost: it answers.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createLostNodeActivities } from '../activities/lost-node';
import { ariTaskQueue } from '../domain/asterisk-nodes';
import { lostNodesOf } from '../lib/sites/lost-nodes';
import { callWorkflowId, endCallSignal } from '../workflows/call/contract';
import type { WorkerFrontends } from '../lib/temporal';

export interface LostNodesDeps {
  frontends: WorkerFrontends;
  namespace: string;
  taskQueue: string;
  /** Whether this worker drives `node` (its node worker runs): a node that answers is never served as lost. */
  drives: (node: string) => boolean;
  /** The nodes this worker knows (for telling their calls apart by workflow id). */
  ownNodes: () => readonly string[];
  /** The activity names a live node's worker registers. */
  activityNames: readonly string[];
  interceptors: WorkerOptions['interceptors'];
  /** This process's worker deployment version, if any. */
  versioning: Pick<WorkerOptions, 'workerDeploymentOptions'>;
  /** The namespace's client: calls on a lost node are told to end. */
  client: Client;
  log: Logger;
  /** How often the namespace's record is read. @default 2000 */
  intervalMs?: number;
}

export interface LostNodeWorkers {
  /** Whether `node` is declared lost and answered here (for local activities, which reach no node queue). */
  isLost(node: string): boolean;
  /** The nodes answered as lost now. */
  answered(): readonly string[];
  stop(): Promise<void>;
}

export function serveLostNodes(deps: LostNodesDeps): LostNodeWorkers {
  const running = new Map<string, { worker: Worker; done: Promise<void> }>();
  let stopped = false;
  const stopOne = async (node: string) => {
    const one = running.get(node);
    if (!one) return;
    running.delete(node);
    if (one.worker.getState() === 'RUNNING') one.worker.shutdown();
    await one.done;
  };
  const startOne = async (node: string) => {
    const taskQueue = ariTaskQueue(deps.taskQueue, node);
    const worker = deps.frontends.adopt(
      await Worker.create({
        connection: deps.frontends.connection,
        namespace: deps.namespace,
        taskQueue,
        interceptors: deps.interceptors,
        activities: createLostNodeActivities(node, deps.activityNames),
        ...deps.versioning,
      }),
    );
    const done = worker
      .run()
      .catch((err: unknown) => deps.log.error({ err, node }, 'lost-node worker failed'));
    running.set(node, { worker, done });
    deps.log.warn({ node, taskQueue }, 'node declared lost: its commands fail here');
  };
  /** Lost nodes whose calls were all told to end (tried again on the next read when it failed). */
  const told = new Set<string>();
  const sync = async () => {
    const lost = (await lostNodesOf(deps.frontends.clientConnection, deps.namespace)).filter(
      (n) => !deps.drives(n),
    );
    for (const node of [...running.keys()].filter((n) => !lost.includes(n))) {
      await stopOne(node);
      deps.log.info({ node }, 'node no longer declared lost');
    }
    for (const node of lost.filter((n) => !running.has(n))) if (!stopped) await startOne(node);
    for (const node of lost.filter((n) => !told.has(n))) {
      try {
        const ended = await endCallsOn(deps.client, node, [...lost, ...deps.ownNodes()]);
        told.add(node);
        deps.log.warn({ node, calls: ended }, 'calls on the lost node told to end');
      } catch (err) {
        deps.log.warn({ err, node }, 'calls on the lost node not all told to end; trying again');
      }
    }
    for (const node of [...told].filter((n) => !lost.includes(n))) told.delete(node);
  };
  const loop = (async () => {
    while (!stopped) {
      await sync().catch((err: unknown) => deps.log.debug({ err }, 'lost nodes not read; reading again'));
      await new Promise((r) => setTimeout(r, deps.intervalMs ?? 2000));
    }
  })();
  return {
    isLost: (node) => running.has(node),
    answered: () => [...running.keys()],
    async stop() {
      stopped = true;
      await loop;
      await Promise.all([...running.keys()].map(stopOne));
    },
  };
}

/**
 * Tells every running call on `node` to end, as a supervisor's "end call" would (the CDR says the system
 * ended it). A call waiting for no command there (a caller in line, between offers) would otherwise wait for a
 * hang-up event its Asterisk can no longer send. Calls are found by their workflow id (`call-<node>-<channel>`);
 * a call ending meanwhile is no matter, and telling one twice (this worker restarted) changes nothing.
 */
export async function endCallsOn(
  client: Client,
  node: string,
  otherNodes: readonly string[] = [],
): Promise<number> {
  const prefix = callWorkflowId(node, '');
  // Node "site" and node "site-a": a call of the second is not one of the first's.
  const longer = otherNodes.filter((n) => n !== node).map((n) => callWorkflowId(n, ''));
  const query = `WorkflowType IN ('CallWorkflow', 'FlowCallWorkflow') AND ExecutionStatus = 'Running'`;
  let ended = 0;
  for await (const info of client.workflow.list({ query })) {
    if (!info.workflowId.startsWith(prefix)) continue;
    if (longer.some((p) => p.startsWith(prefix) && info.workflowId.startsWith(p))) continue;
    try {
      await client.workflow
        .getHandle(info.workflowId)
        .signal(endCallSignal, { at: new Date().toISOString(), by: `node ${node} declared lost` });
      ended++;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return ended;
}
