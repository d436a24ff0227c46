import {
  patched,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import {
  agentOfferedSignal,
  agentsQuery,
  callEndedSignal,
  enqueueSignal,
  leaveSignal,
  offerResultSignal,
  positionQuery,
  queueStatsQuery,
  setAgentStateUpdate,
  waitingQuery,
} from './contract';
import { AgentState, type AgentStatus } from '../../domain/acd/model';
import { publish } from '../shared/domain-events';
import {
  ALLOWED_TRANSITIONS,
  emptyState,
  positionOf,
  queueStats,
  route,
  type AcdState,
  type RoutedAgent,
} from '../../domain/acd/routing';

/** Events handled before the history is cut with continue-as-new (Temporal also suggests when). */
const EVENTS_PER_RUN = 2000;
const OUTCOME_WINDOW_MS = 60 * 60_000;

/**
 * The tenant's routing: every waiting caller and callback of every queue, and every agent's state, in one
 * entity workflow. One decision point per tenant is what makes "never double-booked, never skipped"
 * simple: signals and updates are applied one at a time, routing runs on a consistent state, and the state
 * survives worker and server restarts (and is replicated with the namespace). Continue-as-new carries the
 * state forward so the history stays bounded.
 */
export async function AcdWorkflow(input: { tenantId: string; state?: AcdState }): Promise<void> {
  const state = input.state ?? emptyState(input.tenantId);
  // Agents' states as last told in events, taken before any handler is set: setting one runs the updates
  // that came with the start (update-with-start), and a change they made must not count as already told.
  const toldAtStart = new Map(Object.values(state.agents).map((a) => [a.id, a.state]));
  let dirty = true;
  let events = 0;
  const now = () => new Date();
  const touch = () => {
    dirty = true;
    events++;
  };

  const makeAvailable = (agentId: string) => {
    const agent = state.agents[agentId];
    if (!agent) return;
    agent.state = AgentState.Available;
    agent.since = agent.availableSince = now().toISOString();
    delete agent.currentEntry;
    delete agent.wrapUntil;
    delete agent.reason;
  };
  const endWrapUpAt = (agentId: string, until: string) => {
    void sleep(Math.max(0, Date.parse(until) - Date.now())).then(() => {
      const agent = state.agents[agentId];
      if (agent?.state === AgentState.WrapUp && agent.wrapUntil === until) {
        makeAvailable(agentId);
        touch();
      }
    });
  };
  for (const agent of Object.values(state.agents)) {
    if (agent.state === AgentState.WrapUp && agent.wrapUntil) endWrapUpAt(agent.id, agent.wrapUntil);
  }
  /** An offered agent who never rang (the entry left first) goes back with their idle time intact. */
  const releaseOffer = (entryId: string) => {
    const offer = state.offers[entryId];
    if (!offer) return;
    delete state.offers[entryId];
    const agent = state.agents[offer.agentId];
    if (agent?.currentEntry === entryId) {
      agent.state = AgentState.Available;
      agent.since = now().toISOString();
      delete agent.currentEntry;
    }
  };

  setHandler(enqueueSignal, ({ entry, queue }) => {
    state.queues[queue.id] = queue;
    if (!state.waiting.some((e) => e.entryId === entry.entryId)) state.waiting.push(entry);
    touch();
  });

  setHandler(leaveSignal, ({ entryId, reason }) => {
    const entry = state.waiting.find((e) => e.entryId === entryId);
    if (!entry) return;
    state.waiting = state.waiting.filter((e) => e.entryId !== entryId);
    releaseOffer(entryId);
    if (reason !== 'cancelled') {
      state.outcomes.push({
        entryId,
        queueId: entry.queueId,
        enqueuedAt: entry.enqueuedAt,
        at: now().toISOString(),
        kind: 'abandoned',
        waitSec: (Date.now() - Date.parse(entry.enqueuedAt)) / 1000,
      });
    }
    touch();
  });

  setHandler(offerResultSignal, ({ entryId, offerId, outcome }) => {
    const offer = state.offers[entryId];
    if (!offer || offer.offerId !== offerId) return;
    delete state.offers[entryId];
    const agent = state.agents[offer.agentId];
    if (outcome === 'answered') {
      const entry = state.waiting.find((e) => e.entryId === entryId);
      state.waiting = state.waiting.filter((e) => e.entryId !== entryId);
      if (entry) {
        state.outcomes.push({
          entryId,
          queueId: entry.queueId,
          enqueuedAt: entry.enqueuedAt,
          at: now().toISOString(),
          kind: 'answered',
          waitSec: (Date.now() - Date.parse(entry.enqueuedAt)) / 1000,
        });
      }
    } else if (agent?.currentEntry === entryId) {
      // The entry keeps its place; the agent who did not answer stops getting calls until they say so.
      agent.state = AgentState.NotReady;
      agent.reason = outcome === 'no_answer' ? 'ring_timeout' : 'dial_failed';
      agent.since = now().toISOString();
      delete agent.currentEntry;
    }
    touch();
  });

  setHandler(callEndedSignal, ({ entryId, agentId, talkSeconds }) => {
    const agent = state.agents[agentId];
    if (!agent || agent.currentEntry !== entryId) return;
    agent.callsHandled++;
    const outcome = state.outcomes.find((o) => o.entryId === entryId && o.kind === 'answered');
    if (outcome) outcome.talkSec = talkSeconds;
    // The queue the call came from, kept on the agent: a call may outlast the outcomes window.
    const wrapUpSec = state.queues[agent.currentQueue ?? outcome?.queueId ?? '']?.wrapUpSec ?? 0;
    delete agent.currentQueue;
    if (wrapUpSec > 0) {
      agent.state = AgentState.WrapUp;
      agent.since = now().toISOString();
      agent.wrapUntil = new Date(Date.now() + wrapUpSec * 1000).toISOString();
      delete agent.currentEntry;
      endWrapUpAt(agentId, agent.wrapUntil);
    } else makeAvailable(agentId);
    touch();
  });

  setHandler(
    setAgentStateUpdate,
    ({ agent: config, state: next, reason }): AgentStatus => {
      const known = state.agents[config.id];
      // Configuration may have changed (skills, endpoint): the request carries the current row.
      const agent: RoutedAgent = (state.agents[config.id] = {
        ...(known ?? { state: AgentState.Offline, since: now().toISOString(), callsHandled: 0 }),
        ...config,
      });
      if (known?.state === next && next !== AgentState.NotReady) {
        // Repeated: an available agent keeps their place in the longest-idle order.
      } else if (next === AgentState.Available) makeAvailable(agent.id);
      else {
        agent.state = next;
        agent.since = now().toISOString();
        agent.reason = next === AgentState.NotReady ? reason : undefined;
        delete agent.wrapUntil;
      }
      touch();
      return { ...agent };
    },
    {
      validator: ({ agent, state: next }) => {
        const current = state.agents[agent.id]?.state ?? AgentState.Offline;
        // Saying again that one is available or offline changes nothing; on a call or in wrap-up it would.
        if (current === next && (next === AgentState.Available || next === AgentState.Offline)) return;
        const allowed = ALLOWED_TRANSITIONS[current];
        if (!allowed.includes(next)) {
          throw ApplicationFailure.create({
            type: 'InvalidAgentTransition',
            message: `an agent who is ${current} cannot become ${next}; allowed: ${allowed.join(', ') || 'none until the call ends'}`,
            nonRetryable: true,
            details: [{ current, allowed }],
          });
        }
      },
    },
  );

  setHandler(queueStatsQuery, (queueId) => queueStats(state, queueId, now()));
  setHandler(agentsQuery, () => Object.values(state.agents).map((a) => ({ ...a })));
  setHandler(positionQuery, (entryId) => positionOf(state, entryId));
  setHandler(waitingQuery, (queueId) => state.waiting.filter((e) => e.queueId === queueId));

  // Agent state changes become events: compared once per routing pass, whichever handler made them.
  // Runs that began before this fix took the snapshot here, after the start's updates: they replay so.
  const told = patched('acd-told-at-start')
    ? toldAtStart
    : new Map(Object.values(state.agents).map((a) => [a.id, a.state]));
  const tellStateChanges = () => {
    for (const agent of Object.values(state.agents)) {
      const before = told.get(agent.id);
      if (before === agent.state) continue;
      told.set(agent.id, agent.state);
      void publish('agent.state_changed', input.tenantId, {
        agentId: agent.id,
        state: agent.state,
        previousState: before,
        reason: agent.reason,
        // Which call the agent took: what lets an agent's event stream follow the calls it handles.
        ...(agent.state === AgentState.OnCall && agent.currentEntry ? { entryId: agent.currentEntry } : {}),
      });
    }
  };

  for (;;) {
    await condition(() => dirty);
    dirty = false;
    const horizon = Date.now() - OUTCOME_WINDOW_MS;
    state.outcomes = state.outcomes.filter((o) => Date.parse(o.at) >= horizon);

    const offers = route(state).map(({ entry, agent }) => {
      const queue = state.queues[entry.queueId]!;
      const offerId = `${entry.entryId}#${++state.offerSeq}`;
      state.offers[entry.entryId] = { offerId, agentId: agent.id, queueId: queue.id };
      state.lastAgent[queue.id] = agent.id;
      agent.state = AgentState.OnCall;
      agent.since = now().toISOString();
      agent.currentEntry = entry.entryId;
      agent.currentQueue = queue.id;
      const offer = {
        offerId,
        agent: { id: agent.id, name: agent.name, endpoint: agent.endpoint },
        ringTimeoutSec: queue.ringTimeoutSec,
        record: queue.record,
      };
      return getExternalWorkflowHandle(entry.entryId)
        .signal(agentOfferedSignal, offer)
        .catch(() => {
          // The entry's workflow is gone (ended without leaving): drop it, free the agent.
          state.waiting = state.waiting.filter((e) => e.entryId !== entry.entryId);
          releaseOffer(entry.entryId);
          touch();
        });
    });
    await Promise.all(offers);
    tellStateChanges();

    if (events >= EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof AcdWorkflow>({ tenantId: input.tenantId, state });
    }
  }
}
