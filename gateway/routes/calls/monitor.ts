import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { connectAri } from '../../../asterisk/ari';
import { AriCommands } from '../../../asterisk/ari-commands';
import { ChannelGoneError } from '../../../asterisk/ari-errors';
import { MONITOR_MODES, MonitorFailure, monitorResources, stopMonitor } from '../../../asterisk/monitor';
import { Role } from '../../../lib/api-keys';
import { asteriskNodes } from '../../../lib/config';
import type { AsteriskNode } from '../../../domain/asterisk-nodes';
import { CallSearchAttributes, callStatusQuery } from '../../../workflows/call/contract';
import type { FlowCallStatus } from '../../../workflows/flow-call/contract';
import {
  monitorStartedUpdate,
  monitorWorkflowId,
  stopMonitorSignal,
  type MonitorSessionInput,
} from '../../../workflows/monitor-session/contract';
import { InvalidFieldError, NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { ConflictError } from '../flows/store';
import { CallId } from './schemas';

const supervisors = [Role.Admin, Role.Supervisor] as const;
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** How long the supervisor's endpoint rings; the request waits for the answer. */
const RING_SECONDS = 30;

const SessionId = z.string().regex(/^[0-9a-f]{12}$/, 'a monitor session id is 12 hex digits');

const MonitorRequest = z
  .object({
    mode: z
      .enum(MONITOR_MODES)
      .describe('listen: hear both sides; whisper: hear both, speak to the agent only; barge: join the call'),
    endpoint: z
      .string()
      .regex(/^[A-Za-z0-9_-]+\/[^\s,]+$/, 'an Asterisk dial string such as PJSIP/sup1')
      .max(200)
      .describe("The supervisor's dial string; it is rung and the session starts when it answers"),
  })
  .meta({ id: 'MonitorRequest' });

const MonitorSession = z
  .object({
    id: SessionId,
    callId: z.string(),
    mode: z.enum(MONITOR_MODES),
    endpoint: z.string(),
    agentId: z.string().nullable(),
    startedAt: z.string(),
  })
  .meta({ id: 'MonitorSession' });

/**
 * Supervisor monitoring of a call's agent conversation: listen, whisper to the agent, or barge in. Each
 * session is a MonitorSessionWorkflow (the Asterisk side is in asterisk/monitor.ts): it ends the session
 * when the conversation or the supervisor goes away, whichever process restarts meanwhile. This adds who
 * may, and which call.
 */
const monitor: FastifyPluginAsyncZod = async (app) => {
  // The gateway has no ARI client otherwise; REST only, no WebSocket, so no Stasis app is registered here.
  const nodes = asteriskNodes(app.config);
  const connections = new Map<string, Promise<AriCommands>>();
  const commands = (node: AsteriskNode = nodes[0]!): Promise<AriCommands> => {
    let connection = connections.get(node.name);
    if (!connection) {
      connection = connectAri(node).then(
        (client) => new AriCommands(client),
        (err: unknown) => {
          connections.delete(node.name);
          throw err;
        },
      );
      connections.set(node.name, connection);
    }
    return connection;
  };
  /** The agent's leg and the Asterisk it is on: channel ids are unique, so the node that knows it. */
  const findChannel = async (channelId: string) => {
    for (const node of nodes) {
      const channel = await (await commands(node)).getChannel(channelId).catch((err: unknown) => {
        if (err instanceof ChannelGoneError) return undefined;
        throw err;
      });
      if (channel) return { node: node.name, channel };
    }
    return undefined;
  };

  /** The call's workflow, if the caller's tenant has it. */
  const callOf = async (id: string, tenantId: string) => {
    const handle = app.temporal.workflow.getHandle(id);
    try {
      const description = await handle.describe();
      if (description.typedSearchAttributes.get(CallSearchAttributes.tenant) !== tenantId) {
        throw new NotFoundError('call', id);
      }
      return { handle, running: description.status.name === 'RUNNING' };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError('call', id);
      throw err;
    }
  };

  app.post(
    '/:id/monitor',
    {
      config: { roles: supervisors },
      schema: {
        tags: ['calls'],
        summary: "Listen to, whisper to the agent of, or barge into a call's agent conversation",
        description:
          "Rings the supervisor's endpoint and answers once they are connected. The call must be talking " +
          'to an agent (a queued call that an agent answered); the session ends with the conversation.',
        params: z.object({ id: CallId }),
        body: MonitorRequest,
        response: { 201: MonitorSession, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { mode, endpoint } = request.body;
      const call = await callOf(id, request.principal.tenantId);
      const notTalking = new ConflictError(`call ${id} is not talking to an agent`);
      if (!call.running) throw notTalking;
      const status = (await call.handle.query(callStatusQuery)) as Partial<FlowCallStatus>;
      const queue = status.queue;
      // The queue reports the agent's leg from the moment it rings; the leg's own state is what says the
      // agent answered (workflows that predate the 'talking' phase never report it).
      if (!queue?.agentLegId || queue.phase === 'waiting') throw notTalking;
      const agentLegId = queue.agentLegId;
      const agentLeg = await findChannel(agentLegId);
      if (agentLeg?.channel.state !== 'Up') throw notTalking;

      const sessionId = randomBytes(6).toString('hex');
      const session: MonitorSessionInput = {
        tenantId: request.principal.tenantId,
        callId: id,
        sessionId,
        mode,
        endpoint,
        callerId: status.from,
        app: app.config.ARI_APP,
        agentLegId,
        node: agentLeg.node,
        // The queue names the bridge after the leg; statuses from before it reported the name lack it.
        callBridgeId: queue.bridgeId ?? `${agentLegId}-bridge`,
        resources: monitorResources(id, sessionId),
        ringSeconds: RING_SECONDS,
      };
      const handle = await app.temporal.workflow.start('MonitorSessionWorkflow', {
        workflowId: monitorWorkflowId(id, sessionId),
        taskQueue: app.config.TEMPORAL_TASK_QUEUE,
        args: [session],
      });
      try {
        await handle.executeUpdate(monitorStartedUpdate);
      } catch (err) {
        const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
        if (!(cause instanceof ApplicationFailure)) throw err;
        if (cause.type === MonitorFailure.BadEndpoint)
          throw new InvalidFieldError('body.endpoint', cause.message);
        if (cause.type === MonitorFailure.CallEnded) throw notTalking;
        throw new ConflictError(cause.message);
      }
      request.log.info({ callId: id, sessionId, mode, endpoint }, 'monitor session started');
      return reply.code(201).send({
        id: sessionId,
        callId: id,
        mode,
        endpoint,
        agentId: queue.agent?.id ?? null,
        startedAt: new Date().toISOString(),
      });
    },
  );

  app.delete(
    '/:id/monitor/:sessionId',
    {
      config: { roles: supervisors },
      schema: {
        tags: ['calls'],
        summary: 'End a monitor session: hangs up the supervisor',
        params: z.object({ id: CallId, sessionId: SessionId }),
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      const { id, sessionId } = request.params;
      await callOf(id, request.principal.tenantId);
      const session = app.temporal.workflow.getHandle(monitorWorkflowId(id, sessionId));
      const running = await session.describe().then(
        (d) => d.status.name === 'RUNNING',
        (err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        },
      );
      if (running) {
        await session.signal(stopMonitorSignal);
        await session.result();
        return reply.code(204).send(null);
      }
      // Sessions started before they were workflows are stopped directly (their resources are named).
      if (!(await stopMonitor(await commands(), monitorResources(id, sessionId)))) {
        throw new NotFoundError('monitor session', sessionId);
      }
      return reply.code(204).send(null);
    },
  );
};

export default monitor;
