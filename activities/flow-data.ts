import { ApplicationFailure } from '@temporalio/common';
import { access, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from '../lib/db';
import { urlAllowed } from '../lib/http-allowlist';
import { checkTarget, type OutboundRules } from '../lib/outbound/address';
import { OutboundTimeoutError, outboundRequest } from '../lib/outbound/request';
import { loadPublishedFlow, type PublishedFlow } from '../workers/flow-resolver';
import type { HttpRequest, HttpResult } from '../domain/flow/ports';

export interface FlowDataDeps {
  pool: Pool;
  ari: { url: string; user: string; password: string };
  /** Where prompts are staged for Asterisk, as this process and as Asterisk see the directory. */
  media: { hostDir: string; asteriskDir: string };
  /** The outbound rules for a tenant allowed (or not) private destinations (http nodes). */
  rules: (allowPrivate: boolean) => Promise<OutboundRules>;
}

export interface StoreRecordingInput {
  tenantId: string;
  /** The Asterisk whose store holds the recording (addresses its task queue). @default the primary */
  node?: string;
  /** Asterisk's name for the recording in its store. */
  name: string;
  /** A voicemail left in a flow, or a conversation with an agent. @default 'voicemail' */
  kind?: 'voicemail' | 'call';
  durationMs: number;
  callId: string;
  flowId?: string;
  nodeId?: string;
  agentId?: string;
  ticketQueue?: string;
}

/** Response bodies beyond this are cut: flows map a few fields, they do not download files. */
const MAX_RESPONSE_BYTES = 256 * 1024;

const notFound = (type: string, message: string) =>
  ApplicationFailure.create({ type, message, nonRetryable: true });

export function createFlowDataActivities({ pool, ari, media, rules }: FlowDataDeps) {
  const ariAuth = `Basic ${Buffer.from(`${ari.user}:${ari.password}`).toString('base64')}`;
  const storedUrl = (name: string) => `${ari.url}/ari/recordings/stored/${encodeURIComponent(name)}`;

  return {
    /**
     * Moves a voicemail from Asterisk's recording store into PostgreSQL, where it outlives the Asterisk
     * node and becomes a ticket's attachment. Keyed by Asterisk's name: a retry returns the same row.
     */
    async storeRecording(input: StoreRecordingInput): Promise<{ recordingId: string }> {
      const existing = await pool.query<{ id: string }>('select id from recordings where source_name = $1', [
        input.name,
      ]);
      if (existing.rows[0]) return { recordingId: existing.rows[0].id };
      // A bridge recording is finalized just after the bridge goes: a moment's grace before a 404 is final.
      let response = await fetch(`${storedUrl(input.name)}/file`, { headers: { authorization: ariAuth } });
      for (let tries = 0; response.status === 404 && tries < 10; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        response = await fetch(`${storedUrl(input.name)}/file`, { headers: { authorization: ariAuth } });
      }
      if (response.status === 404)
        throw notFound('RecordingNotFound', `Asterisk has no recording ${input.name}`);
      if (!response.ok) throw new Error(`fetching recording ${input.name}: HTTP ${response.status}`);
      const audio = Buffer.from(await response.arrayBuffer());
      const { rows } = await pool.query<{ id: string }>(
        `insert into recordings (tenant_id, kind, name, call_id, flow_id, node_id, agent_id, ticket_queue,
                                 source_name, duration_ms, audio)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (source_name) do update set source_name = excluded.source_name
         returning id`,
        [
          input.tenantId,
          input.kind ?? 'voicemail',
          `${input.kind === 'call' ? 'Conversation' : 'Voicemail'} from call ${input.callId}`,
          input.callId,
          input.flowId ?? null,
          input.nodeId ?? null,
          input.agentId ?? null,
          input.ticketQueue ?? null,
          input.name,
          input.durationMs,
          audio,
        ],
      );
      // Stored safely in PostgreSQL: Asterisk's copy can go.
      await fetch(storedUrl(input.name), { method: 'DELETE', headers: { authorization: ariAuth } }).catch(
        () => undefined,
      );
      return { recordingId: rows[0]!.id };
    },

    /** Writes an uploaded prompt where Asterisk can play it (once per recording) and answers its media URI. */
    async stageRecording({ tenantId, recordingId }: { tenantId: string; recordingId: string }) {
      const name = `rec-${recordingId}`;
      const file = path.join(media.hostDir, `${name}.wav`);
      const uri = `sound:${path.posix.join(media.asteriskDir, name)}`;
      if (
        await access(file).then(
          () => true,
          () => false,
        )
      )
        return { media: uri };
      const { rows } = await pool.query<{ audio: Buffer }>(
        'select audio from recordings where id = $1 and tenant_id = $2',
        [recordingId, tenantId],
      );
      if (!rows[0]) throw notFound('RecordingNotFound', `no recording ${recordingId} for tenant ${tenantId}`);
      await mkdir(media.hostDir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, rows[0].audio);
      await rename(tmp, file);
      return { media: uri };
    },

    /**
     * One request of an http node, refused unless the tenant allows the host. Never throws for the far
     * end's behaviour: the node decides between its exits and retries.
     */
    async httpRequest(input: HttpRequest & { tenantId: string }): Promise<HttpResult> {
      const { rows } = await pool.query<{ http_allow_hosts: string[]; webhook_allow_private: boolean }>(
        'select http_allow_hosts, webhook_allow_private from tenants where id = $1',
        [input.tenantId],
      );
      const verdict = urlAllowed(input.url, rows[0]?.http_allow_hosts ?? []);
      if (!verdict.ok) return { kind: 'error', message: verdict.reason, retryable: false };
      // The webhook rules: every address the host resolves to is checked, and the connection goes to it.
      const target = await checkTarget(input.url, await rules(rows[0]?.webhook_allow_private ?? false));
      if (!target.ok) return { kind: 'error', message: target.reason, retryable: target.retryable };
      try {
        const response = await outboundRequest(target.url, {
          method: input.method,
          headers: input.headers,
          body: input.method === 'GET' || input.method === 'DELETE' ? undefined : input.body,
          timeoutMs: input.timeoutMs,
          maxBytes: MAX_RESPONSE_BYTES,
          address: target.address,
        });
        return { kind: 'response', status: response.status, body: response.body };
      } catch (err) {
        if (err instanceof OutboundTimeoutError) return { kind: 'timeout' };
        return { kind: 'error', message: (err as Error).message, retryable: true };
      }
    },

    async loadSubflow(input: {
      tenantId: string;
      flowId: string;
      version?: number;
      callId: string;
    }): Promise<PublishedFlow> {
      const flow = await loadPublishedFlow(pool, input.tenantId, input.flowId, input.callId, input.version);
      if (!flow) {
        throw notFound(
          'FlowNotFound',
          `flow ${input.flowId}${input.version ? ` version ${input.version}` : ''} is not published`,
        );
      }
      return flow;
    },
  };
}

export type FlowDataActivities = ReturnType<typeof createFlowDataActivities>;
