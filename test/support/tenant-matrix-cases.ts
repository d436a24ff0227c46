/**
 * One case per route of the API (test/integration/tenant-matrix.test.ts checks the list against the route
 * table): how to call it on tenant A's objects, with a valid body so the handler (not validation) answers,
 * and what tenant B must get:
 * - `not-found`: 404, as for an object that never existed;
 * - `absent`: 200, and none of A's objects in the answer;
 * - `refused`: a 4xx other than 403 (B's own request naming A's objects);
 * - `own`: B acts on its own tenant (no 5xx, none of A's objects in the answer);
 * - `platform`: the operator's routes, where tenants only ever get 403;
 * - `stream`: the event stream, which never ends: only who may open it is checked here; whose events it
 *   carries is events-auth.test.ts ("tenants never see each other's events").
 */
export interface Fixtures {
  flowId: string;
  numberId: string;
  number: string;
  recordingId: string;
  queueId: string;
  agentId: string;
  callbackId: string;
  campaignId: string;
  ticketId: string;
  webhookId: string;
  dnc: string;
  callId: string;
  monitorSessionId: string;
}
export const FIXTURE_KINDS = [
  'flowId',
  'numberId',
  'number',
  'recordingId',
  'queueId',
  'agentId',
  'callbackId',
  'campaignId',
  'ticketId',
  'webhookId',
  'dnc',
  'callId',
  'monitorSessionId',
] as const satisfies readonly (keyof Fixtures)[];

export interface MatrixCase {
  cross: 'not-found' | 'absent' | 'refused' | 'own' | 'platform' | 'stream';
  params?: (f: Fixtures) => Record<string, string>;
  query?: (f: Fixtures) => string;
  body?: (f: Fixtures) => unknown;
  contentType?: string;
  /**
   * Agent keys act on their own agent only, whatever the id: 403 for any other, so nothing about the id
   * is learnt either.
   */
  ownAgentOnly?: boolean;
  /** A's ids that B itself sent and the answer may repeat (an error naming the field's value). */
  echoes?: (f: Fixtures) => string[];
}

const id = (key: keyof Fixtures) => (f: Fixtures) => ({ id: f[key] });
const weekly = { weekly: [{ days: ['mon'], open: '09:00', close: '10:00' }] };
const flowDefinition = {
  schemaVersion: 1,
  start: 'bye',
  nodes: [{ id: 'bye', type: 'hangup' }],
  edges: [],
};
const campaignSettings = (f: Fixtures) => ({
  target: { kind: 'flow', flowId: f.flowId },
  callerId: '+12125550100',
  window: weekly,
});

/** The last day and the next hour. */
const reportRange = () =>
  `from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`;

export const matrixCases: Record<string, MatrixCase> = {
  'GET /v1/me/': { cross: 'own' },
  // B's log holds B's own changes (the matrix's among them), never A's.
  'GET /v1/audit/': { cross: 'absent' },
  // B's reports over the whole time A's objects were made: none of A's queues, agents or campaigns.
  'GET /v1/reports/queues': { cross: 'absent', query: reportRange },
  'GET /v1/reports/agents': { cross: 'absent', query: reportRange },
  'GET /v1/reports/campaigns': { cross: 'absent', query: reportRange },
  'GET /v1/reports/queue-log': { cross: 'absent', query: reportRange },

  'POST /v1/webhooks/': { cross: 'own', body: () => ({ url: 'http://127.0.0.1:9/matrix-b' }) },
  'GET /v1/webhooks/': { cross: 'absent' },
  'GET /v1/webhooks/{id}': { cross: 'not-found', params: id('webhookId') },
  'DELETE /v1/webhooks/{id}': { cross: 'not-found', params: id('webhookId') },
  'GET /v1/webhooks/{id}/deliveries': { cross: 'not-found', params: id('webhookId') },

  'POST /v1/events/token': { cross: 'own' },
  'GET /v1/events/': { cross: 'stream' },

  'GET /v1/calls/': { cross: 'absent', query: (f) => `to=${f.number}&status=active` },
  'GET /v1/calls/{id}': { cross: 'not-found', params: id('callId') },
  'POST /v1/calls/{id}/transfer': {
    cross: 'not-found',
    params: id('callId'),
    body: (f) => ({ to: { kind: 'queue', queueId: f.queueId } }),
  },
  'POST /v1/calls/{id}/monitor': {
    cross: 'not-found',
    params: id('callId'),
    body: () => ({ mode: 'listen', endpoint: 'Local/180@synthetic-agent/n' }),
  },
  'DELETE /v1/calls/{id}/monitor/{sessionId}': {
    cross: 'not-found',
    params: (f) => ({ id: f.callId, sessionId: f.monitorSessionId }),
  },
  'GET /v1/calls/{id}/timeline': { cross: 'not-found', params: id('callId') },
  'POST /v1/calls/{id}/hangup': { cross: 'not-found', params: id('callId') },
  'POST /v1/calls/{id}/disposition': {
    cross: 'not-found',
    params: id('callId'),
    body: () => ({ disposition: 'resolved' }),
  },

  'GET /v1/flows/': { cross: 'absent' },
  'POST /v1/flows/': { cross: 'own', body: () => ({ name: `B ${Date.now()}`, definition: flowDefinition }) },
  'GET /v1/flows/{id}': { cross: 'not-found', params: id('flowId') },
  'PUT /v1/flows/{id}': {
    cross: 'not-found',
    params: id('flowId'),
    body: () => ({ name: 'taken over', definition: flowDefinition, version: 1 }),
  },
  'DELETE /v1/flows/{id}': { cross: 'not-found', params: id('flowId') },
  'POST /v1/flows/{id}/validate': { cross: 'not-found', params: id('flowId') },
  'POST /v1/flows/{id}/publish': { cross: 'not-found', params: id('flowId') },
  'GET /v1/flows/{id}/rollout': { cross: 'not-found', params: id('flowId') },
  'PUT /v1/flows/{id}/rollout': { cross: 'not-found', params: id('flowId'), body: () => ({ stable: 1 }) },
  'GET /v1/flows/{id}/versions': { cross: 'not-found', params: id('flowId') },
  'POST /v1/flows/{id}/simulate': { cross: 'not-found', params: id('flowId'), body: () => ({}) },
  'POST /v1/flows/import/twilio-studio': {
    cross: 'own',
    // A mapping to A's flow is B's own draft naming an id B cannot publish, not a way into A.
    body: (f) => ({
      name: `B import ${Date.now()}`,
      definition: {
        initial_state: 'Trigger',
        states: [
          { name: 'Trigger', type: 'trigger', transitions: [{ event: 'incomingCall', next: 'sub' }] },
          {
            name: 'sub',
            type: 'run-subflow',
            transitions: [{ event: 'completed' }, { event: 'failed' }],
            properties: { flow_sid: 'FW0123456789abcdef0123456789abcdef', flow_revision: 'LatestPublished' },
          },
        ],
      },
      subflows: { FW0123456789abcdef0123456789abcdef: f.flowId },
    }),
    echoes: (f) => [f.flowId],
  },

  'GET /v1/numbers/': { cross: 'absent' },
  'GET /v1/numbers/provisioned': { cross: 'absent' },
  'POST /v1/numbers/': {
    cross: 'refused',
    body: (f) => ({ number: f.number, flowId: f.flowId }),
    echoes: (f) => [f.number, f.flowId],
  },
  'DELETE /v1/numbers/{id}': { cross: 'not-found', params: id('numberId') },

  'GET /v1/platform/tenants': { cross: 'platform' },
  'POST /v1/platform/tenants': { cross: 'platform', body: () => ({ id: `x-${Date.now()}`, name: 'x' }) },
  'GET /v1/platform/numbers': { cross: 'platform' },
  'POST /v1/platform/numbers': {
    cross: 'platform',
    body: (f) => ({ number: f.number, tenantId: 'default' }),
  },
  'DELETE /v1/platform/numbers/{number}': { cross: 'platform', params: (f) => ({ number: f.number }) },
  'GET /v1/platform/temporal/': { cross: 'platform' },
  'GET /v1/platform/sites/': { cross: 'platform' },
  'GET /v1/platform/sites/local': { cross: 'platform' },
  'PUT /v1/platform/temporal/lost-nodes': { cross: 'platform', body: () => ({ nodes: [] }) },
  'POST /v1/platform/temporal/failover': {
    cross: 'platform',
    body: () => ({ cluster: 'cluster-a', mode: 'graceful' }),
  },

  'POST /v1/recordings/tts-preview': { cross: 'own', body: () => ({ text: 'Hello' }) },
  'POST /v1/recordings/': {
    cross: 'own',
    query: () => `name=b-${Date.now()}`,
    // Not audio: B's own upload is refused for what it is, before anything is stored.
    body: () => 'RIFF',
    contentType: 'audio/wav',
  },
  'GET /v1/recordings/': { cross: 'absent', query: (f) => `callId=${f.callId}` },
  'GET /v1/recordings/{id}': { cross: 'not-found', params: id('recordingId') },
  'DELETE /v1/recordings/{id}': { cross: 'not-found', params: id('recordingId') },
  'GET /v1/recordings/{id}/audio': { cross: 'not-found', params: id('recordingId') },

  'GET /v1/tenant/ticket-settings': { cross: 'own' },
  'PUT /v1/tenant/ticket-settings': { cross: 'own', body: () => ({ nearBreachRatio: 0.8 }) },
  'GET /v1/tenant/': { cross: 'own' },
  'PUT /v1/tenant/http-allow-hosts': { cross: 'own', body: () => ({ hosts: [] }) },

  'GET /v1/queues/': { cross: 'absent' },
  'POST /v1/queues/': {
    cross: 'refused',
    body: (f) => ({ name: `B ${Date.now()}`, overflow: { kind: 'queue', target: f.queueId } }),
    echoes: (f) => [f.queueId],
  },
  'GET /v1/queues/{id}': { cross: 'not-found', params: id('queueId') },
  'PUT /v1/queues/{id}': {
    cross: 'not-found',
    params: id('queueId'),
    body: () => ({ name: 'taken over', version: 1 }),
  },
  'DELETE /v1/queues/{id}': { cross: 'not-found', params: id('queueId') },
  'GET /v1/queues/{id}/stats': { cross: 'not-found', params: id('queueId') },

  'GET /v1/agents/': { cross: 'absent' },
  'POST /v1/agents/': {
    cross: 'refused',
    body: (f) => ({ name: 'B agent', endpoint: 'Local/171@synthetic-agent/n', queueIds: [f.queueId] }),
    echoes: (f) => [f.queueId],
  },
  'GET /v1/agents/{id}': { cross: 'not-found', params: id('agentId') },
  'PUT /v1/agents/{id}': {
    cross: 'not-found',
    params: id('agentId'),
    body: () => ({ name: 'taken over', endpoint: 'Local/172@synthetic-agent/n', version: 1 }),
  },
  'POST /v1/agents/{id}/state': {
    cross: 'not-found',
    params: id('agentId'),
    body: () => ({ state: 'available' }),
    ownAgentOnly: true,
  },

  'POST /v1/callbacks/': {
    cross: 'refused',
    body: (f) => ({ number: '5550173', queueId: f.queueId }),
    echoes: (f) => [f.queueId],
  },
  'GET /v1/callbacks/': { cross: 'absent', query: () => 'open=true' },
  'GET /v1/callbacks/{id}': { cross: 'not-found', params: id('callbackId') },
  'PATCH /v1/callbacks/{id}': { cross: 'not-found', params: id('callbackId'), body: () => ({ notes: 'x' }) },
  'DELETE /v1/callbacks/{id}': { cross: 'not-found', params: id('callbackId') },

  'GET /v1/campaigns/': { cross: 'absent' },
  'POST /v1/campaigns/': {
    cross: 'refused',
    body: (f) => ({ name: `B ${Date.now()}`, ...campaignSettings(f) }),
    echoes: (f) => [f.flowId],
  },
  'GET /v1/campaigns/{id}': { cross: 'not-found', params: id('campaignId') },
  'PUT /v1/campaigns/{id}': {
    cross: 'not-found',
    params: id('campaignId'),
    body: (f) => ({ name: 'taken over', ...campaignSettings(f), version: 1 }),
  },
  'DELETE /v1/campaigns/{id}': { cross: 'not-found', params: id('campaignId') },
  'POST /v1/campaigns/{id}/contacts': {
    cross: 'not-found',
    params: id('campaignId'),
    query: () => 'country=US',
    body: () => 'phone\n+12125550174\n',
    contentType: 'text/csv',
  },
  'GET /v1/campaigns/{id}/contacts': { cross: 'not-found', params: id('campaignId') },
  'POST /v1/campaigns/{id}/start': { cross: 'not-found', params: id('campaignId') },
  'POST /v1/campaigns/{id}/pause': { cross: 'not-found', params: id('campaignId') },
  'POST /v1/campaigns/{id}/resume': { cross: 'not-found', params: id('campaignId') },
  'POST /v1/campaigns/{id}/stop': { cross: 'not-found', params: id('campaignId') },
  'PUT /v1/campaigns/{id}/schedule': {
    cross: 'not-found',
    params: id('campaignId'),
    body: () => ({ stopAt: new Date(Date.now() + 86_400_000).toISOString() }),
  },
  'GET /v1/campaigns/{id}/progress': { cross: 'not-found', params: id('campaignId') },

  'POST /v1/dnc/': { cross: 'own', body: () => ({ numbers: ['+12125550175'] }) },
  'GET /v1/dnc/': { cross: 'absent' },
  // A's entry is not B's to remove (afterwards A still has it).
  'DELETE /v1/dnc/{phone}': { cross: 'not-found', params: (f) => ({ phone: f.dnc }) },

  'POST /v1/tickets/': {
    cross: 'refused',
    body: (f) => ({ subject: 'B ticket', calls: [f.callId], recordings: [f.recordingId] }),
    echoes: (f) => [f.callId, f.recordingId],
  },
  'GET /v1/tickets/': { cross: 'absent' },
  'GET /v1/tickets/{id}': { cross: 'not-found', params: id('ticketId') },
  'PATCH /v1/tickets/{id}': {
    cross: 'not-found',
    params: id('ticketId'),
    body: () => ({ priority: 'high' }),
  },
  'POST /v1/tickets/{id}/comments': {
    cross: 'not-found',
    params: id('ticketId'),
    body: () => ({ body: 'from B' }),
  },
};
