import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { CallSearchAttributes } from '../../../workflows/call/contract';
import { Role, type ApiPrincipal } from '../../../lib/api-keys';
import { ForbiddenError, NotFoundError } from '../../errors';

const GRPC_INVALID_ARGUMENT = 3;

/**
 * A call's workflow, if the caller's tenant has it: another tenant's call is as absent as one never placed,
 * so ids cannot be probed across tenants.
 */
export async function tenantCall(temporal: Client, id: string, tenantId: string) {
  const handle = temporal.workflow.getHandle(id);
  try {
    const description = await handle.describe();
    if (description.typedSearchAttributes.get(CallSearchAttributes.tenant) !== tenantId) {
      throw new NotFoundError('call', id);
    }
    return { handle, description, running: description.status.name === 'RUNNING' };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError('call', id);
    // An id Temporal cannot even look up (the empty one) names no call either.
    if ((err as { cause?: { code?: number } }).cause?.code === GRPC_INVALID_ARGUMENT)
      throw new NotFoundError('call', id);
    throw err;
  }
}

/** Workflow types that are calls: what call routes act on (others answer 404, never 500). */
const CALL_TYPES: readonly string[] = ['CallWorkflow', 'FlowCallWorkflow'];

/** The call's workflow as tenantCall finds it, refusing workflows that are not calls (404). */
export async function tenantCallOnly(temporal: Client, id: string, tenantId: string) {
  const call = await tenantCall(temporal, id, tenantId);
  if (!CALL_TYPES.includes(call.description.type)) throw new NotFoundError('call', id);
  return call;
}

/**
 * Agents act only on calls they are on (or were, for the wrap-up); supervisors and admins on any call of
 * their tenant. A key of the agent role that belongs to no agent acts on none.
 */
export function assertOnCall(principal: ApiPrincipal, status: { queue?: { agent?: { id: string } } }): void {
  if (principal.role !== Role.Agent) return;
  if (!principal.agentId || status.queue?.agent?.id !== principal.agentId) {
    throw new ForbiddenError(
      principal.role,
      [Role.Admin, Role.Supervisor],
      'an agent acts only on calls they are on',
    );
  }
}
