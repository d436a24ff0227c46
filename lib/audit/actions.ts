/**
 * Which API requests the audit log records, by method and route pattern: every configuration change and
 * supervisor action (issue #19), named `<resource>.<verb>`. Every other mutating route is listed with why it
 * is not: a new route classified in neither fails `test/integration/audit.test.ts`.
 */
export interface AuditedAction {
  readonly action: string;
  readonly resource: string;
}

const a = (action: string): AuditedAction => ({ action, resource: action.split('.')[0]! });

export const AUDITED: Readonly<Record<string, AuditedAction>> = {
  'POST /v1/flows': a('flow.created'),
  'PUT /v1/flows/:id': a('flow.saved'),
  'DELETE /v1/flows/:id': a('flow.deleted'),
  'POST /v1/flows/:id/publish': a('flow.published'),
  'PUT /v1/flows/:id/rollout': a('flow.rollout_set'),
  'POST /v1/flows/import/twilio-studio': a('flow.imported'),
  'POST /v1/numbers': a('number.routed'),
  'DELETE /v1/numbers/:id': a('number.unrouted'),
  'POST /v1/queues': a('queue.created'),
  'PUT /v1/queues/:id': a('queue.updated'),
  'DELETE /v1/queues/:id': a('queue.deleted'),
  'POST /v1/agents': a('agent.created'),
  'PUT /v1/agents/:id': a('agent.updated'),
  'POST /v1/agents/:id/state': a('agent.state_set'),
  'POST /v1/webhooks': a('webhook.created'),
  'DELETE /v1/webhooks/:id': a('webhook.deleted'),
  'PUT /v1/tenant/http-allow-hosts': a('tenant.http_allow_hosts_updated'),
  'PUT /v1/tenant/ticket-settings': a('tenant.ticket_settings_updated'),
  'POST /v1/dnc': a('dnc.added'),
  'DELETE /v1/dnc/:phone': a('dnc.removed'),
  'POST /v1/recordings': a('recording.uploaded'),
  'DELETE /v1/recordings/:id': a('recording.deleted'),
  'POST /v1/campaigns': a('campaign.created'),
  'PUT /v1/campaigns/:id': a('campaign.updated'),
  'DELETE /v1/campaigns/:id': a('campaign.deleted'),
  'POST /v1/campaigns/:id/start': a('campaign.started'),
  'POST /v1/campaigns/:id/pause': a('campaign.paused'),
  'POST /v1/campaigns/:id/resume': a('campaign.resumed'),
  'POST /v1/campaigns/:id/stop': a('campaign.stopped'),
  'PUT /v1/campaigns/:id/schedule': a('campaign.schedule_set'),
  'POST /v1/calls/:id/hangup': a('call.hung_up'),
  'POST /v1/calls/:id/transfer': a('call.transferred'),
  'POST /v1/calls/:id/monitor': a('call.monitor_started'),
  'DELETE /v1/calls/:id/monitor/:sessionId': a('call.monitor_stopped'),
  'POST /v1/platform/tenants': a('platform.tenant_created'),
  'POST /v1/platform/numbers': a('platform.number_provisioned'),
  'DELETE /v1/platform/numbers/:number': a('platform.number_released'),
  'POST /v1/platform/temporal/failover': a('platform.failover'),
  'PUT /v1/platform/temporal/lost-nodes': a('platform.nodes_declared_lost'),
};

/** Mutating routes the audit log leaves out, and why. */
export const NOT_AUDITED: Readonly<Record<string, string>> = {
  'POST /v1/flows/:id/simulate': 'a dry run: nothing changes',
  'POST /v1/flows/:id/validate': 'a check: nothing changes',
  'POST /v1/recordings/tts-preview': 'a preview: nothing is stored',
  'POST /v1/events/token': 'a short-lived stream token for the caller itself',
  'POST /v1/callbacks': "a customer's request, not configuration (its own history is its workflow)",
  'PATCH /v1/callbacks/:id': "a customer's request rescheduled (its workflow's history keeps it)",
  'DELETE /v1/callbacks/:id': "a customer's request cancelled (its workflow's history keeps it)",
  'POST /v1/tickets': 'case data with its own timeline',
  'PATCH /v1/tickets/:id': 'case data with its own timeline',
  'POST /v1/tickets/:id/comments': 'case data with its own timeline',
  'POST /v1/campaigns/:id/contacts': 'contact lists are data (their upload is counted on the campaign)',
  'POST /v1/calls/:id/disposition': "an agent's wrap-up of their own call (on the call's record)",
};

/** `POST /v1/queues/:id`: how a route is named here. */
export const routeKey = (method: string, pattern: string): string => `${method.toUpperCase()} ${pattern}`;

/** Field names whose values never reach the audit log. */
const SECRET = /(secret|password|token|credential|^key$|apikey|authorization)/i;

/** A JSON value with every secret-named field's value replaced, at any depth. */
export function masked(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(masked);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        SECRET.test(k) ? '***' : masked(v),
      ]),
    );
  }
  return value;
}

/**
 * A changed value larger than this (JSON) is recorded by its size only: a flow's whole definition saved twice
 * a minute would otherwise fill the log. @default 16384
 */
export const MAX_VALUE_CHARS = 16_384;

const bounded = (v: unknown): unknown => {
  const json = JSON.stringify(v);
  return json !== undefined && json.length > MAX_VALUE_CHARS
    ? { omitted: 'too large', chars: json.length }
    : v;
};

/** The top-level fields that differ between two views of a resource, masked; `version` and timestamps aside. */
export function changedFields(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): Record<string, { before?: unknown; after?: unknown }> {
  const ignored = new Set(['version', 'updatedAt', 'createdAt']);
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const changes: Record<string, { before?: unknown; after?: unknown }> = {};
  for (const k of keys) {
    if (ignored.has(k)) continue;
    const b = before?.[k];
    const x = after?.[k];
    if (JSON.stringify(b) === JSON.stringify(x)) continue;
    changes[k] = SECRET.test(k)
      ? { ...(b === undefined ? {} : { before: '***' }), ...(x === undefined ? {} : { after: '***' }) }
      : {
          ...(b === undefined ? {} : { before: bounded(masked(b)) }),
          ...(x === undefined ? {} : { after: bounded(masked(x)) }),
        };
  }
  return changes;
}
