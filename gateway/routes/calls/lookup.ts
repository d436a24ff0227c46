import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { CallSearchAttributes } from '../../../workflows/call/contract';
import { NotFoundError } from '../../errors';

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
    throw err;
  }
}
