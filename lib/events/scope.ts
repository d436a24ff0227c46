import type { ApiPrincipal } from '../api-keys';
import type { DomainEvent } from './schemas';

/** Ids remembered per agent stream: far more than an agent handles between two reconnects. */
const MAX_HANDLED = 1000;

/** The ids an event is about (a call, a callback, a ticket), under whichever name its data uses. */
function subjectsOf(event: DomainEvent): string[] {
  const data = event.data as Record<string, unknown>;
  return ['callId', 'callbackId', 'entryId', 'ticketId']
    .map((k) => data[k])
    .filter((v): v is string => typeof v === 'string');
}

/**
 * Which of its tenant's events one API key may see on the event stream. Admin, supervisor and developer
 * keys see everything of the tenant (the stream is already filtered to it). An agent key sees its own
 * agent's events (`data.agentId`) and the events of what that agent handles: taking a call or callback
 * (agent.state_changed's `entryId`, callback.attempted's `callbackId`) makes the rest of that call's
 * events visible (its flow nodes, call.ended, a ticket opened from it and that ticket's updates).
 *
 * Stateful, one per stream: what an agent handled is learned from the events it saw on this stream.
 * call.ended names its agent, so a reconnected stream still shows the end of a call taken before.
 * An agent key without an agent sees nothing: there is nothing of its own to see.
 */
export function createEventScope(principal: Pick<ApiPrincipal, 'role' | 'agentId'>) {
  if (principal.role !== 'agent') return (_event: DomainEvent) => true;
  const own = principal.agentId;
  const handled = new Set<string>();
  const remember = (id: string) => {
    handled.delete(id);
    handled.add(id);
    // A Set iterates in insertion order: the first is the least recently seen.
    if (handled.size > MAX_HANDLED) handled.delete(handled.values().next().value!);
  };
  return (event: DomainEvent): boolean => {
    if (!own) return false;
    const data = event.data as Record<string, unknown>;
    const subjects = subjectsOf(event);
    // An event naming another agent is that agent's, even about a call this one handled (a transfer).
    if (data.agentId !== undefined && data.agentId !== own) return false;
    const visible = data.agentId === own || subjects.some((id) => handled.has(id));
    if (visible) subjects.forEach(remember);
    return visible;
  };
}
