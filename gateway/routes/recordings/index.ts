import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { toTelephonyWav } from './audio';
import ttsPreview from './tts-preview';

/** Upload formats by content type, as the file extension sox reads them by. */
const UPLOAD_TYPES: Record<string, string> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/flac': 'flac',
  'audio/ogg': 'ogg',
};
const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

const Recording = z
  .object({
    id: z.string().uuid(),
    kind: z.enum(['voicemail', 'prompt', 'call']),
    name: z.string(),
    callId: z.string().nullable(),
    flowId: z.string().nullable(),
    nodeId: z.string().nullable(),
    agentId: z.string().nullable(),
    ticketQueue: z.string().nullable(),
    durationMs: z.number().int(),
    bytes: z.number().int(),
    createdAt: z.string(),
  })
  .meta({ id: 'Recording' });

const RecordingId = z.object({ id: z.string().uuid('a recording id is a UUID') });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 415: ErrorBody };

const COLUMNS = `id, kind, name, call_id, flow_id, node_id, agent_id, ticket_queue, duration_ms,
  octet_length(audio) as bytes, created_at`;

interface RecordingRow {
  id: string;
  kind: 'voicemail' | 'prompt' | 'call';
  name: string;
  call_id: string | null;
  flow_id: string | null;
  node_id: string | null;
  agent_id: string | null;
  ticket_queue: string | null;
  duration_ms: number;
  bytes: number;
  created_at: Date;
}

const toRecording = (r: RecordingRow) => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  callId: r.call_id,
  flowId: r.flow_id,
  nodeId: r.node_id,
  agentId: r.agent_id,
  ticketQueue: r.ticket_queue,
  durationMs: r.duration_ms,
  bytes: Number(r.bytes),
  createdAt: r.created_at.toISOString(),
});

/** Voicemails left in flows and prompts uploaded for `play` nodes, per tenant. */
const recordings: FastifyPluginAsyncZod = async (app) => {
  await app.register(ttsPreview);
  app.addContentTypeParser(
    Object.keys(UPLOAD_TYPES),
    { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES },
    (_request, body, done) => done(null, body),
  );

  app.post(
    '/',
    {
      config: {
        roles: [Role.Admin, Role.Developer],
        rawBody: {
          contentTypes: Object.keys(UPLOAD_TYPES),
          schema: { type: 'string', format: 'binary', description: 'the audio file, at most 10 minutes' },
        },
      },
      bodyLimit: MAX_UPLOAD_BYTES,
      schema: {
        tags: ['recordings'],
        summary: 'Upload a prompt (wav, flac or ogg body); it is stored as 8 kHz mono wav for play nodes',
        querystring: z.object({ name: z.string().trim().min(1).max(120) }),
        response: { 201: Recording, ...errors },
      },
    },
    async (request, reply) => {
      const type = UPLOAD_TYPES[(request.headers['content-type'] ?? '').split(';')[0]!.trim()];
      if (!type || !Buffer.isBuffer(request.body)) {
        return reply.code(415).send({
          statusCode: 415,
          error: 'Unsupported Media Type',
          message: `content-type must be one of ${Object.keys(UPLOAD_TYPES).join(', ')}`,
        });
      }
      const { audio, durationMs } = await toTelephonyWav(request.body, type);
      const { rows } = await app.pg.query<RecordingRow>(
        `insert into recordings (tenant_id, kind, name, duration_ms, audio) values ($1, 'prompt', $2, $3, $4)
         returning ${COLUMNS}`,
        [request.principal.tenantId, request.query.name, durationMs, audio],
      );
      return reply.code(201).send(toRecording(rows[0]!));
    },
  );

  app.get(
    '/',
    {
      config: { roles: [Role.Admin, Role.Developer, Role.Supervisor] },
      schema: {
        tags: ['recordings'],
        querystring: z.object({
          kind: z.enum(['voicemail', 'prompt', 'call']).optional(),
          callId: z.string().max(200).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ recordings: z.array(Recording) }), ...errors },
      },
    },
    async (request) => {
      const { rows } = await app.pg.query<RecordingRow>(
        `select ${COLUMNS} from recordings where tenant_id = $1 and ($2::text is null or kind = $2)
            and ($4::text is null or call_id = $4)
          order by created_at desc limit $3`,
        [
          request.principal.tenantId,
          request.query.kind ?? null,
          request.query.limit,
          request.query.callId ?? null,
        ],
      );
      return { recordings: rows.map(toRecording) };
    },
  );

  app.get(
    '/:id',
    {
      config: { roles: [Role.Admin, Role.Developer, Role.Supervisor] },
      schema: { tags: ['recordings'], params: RecordingId, response: { 200: Recording, ...errors } },
    },
    async (request) => {
      const { rows } = await app.pg.query<RecordingRow>(
        `select ${COLUMNS} from recordings where tenant_id = $1 and id = $2`,
        [request.principal.tenantId, request.params.id],
      );
      if (!rows[0]) throw new NotFoundError('recording', request.params.id);
      return toRecording(rows[0]);
    },
  );

  app.get(
    '/:id/audio',
    {
      config: { roles: [Role.Admin, Role.Developer, Role.Supervisor] },
      schema: {
        tags: ['recordings'],
        summary: 'The audio, 8 kHz mono wav',
        params: RecordingId,
        // The audio is audio/wav; refusals are JSON like everywhere else.
        produces: ['audio/wav', 'application/json'],
        response: { 200: z.any().meta({ description: 'audio/wav' }), ...errors },
      },
    },
    async (request, reply) => {
      const { rows } = await app.pg.query<{ audio: Buffer }>(
        'select audio from recordings where tenant_id = $1 and id = $2',
        [request.principal.tenantId, request.params.id],
      );
      if (!rows[0]) throw new NotFoundError('recording', request.params.id);
      return reply.type('audio/wav').send(rows[0].audio);
    },
  );

  app.delete(
    '/:id',
    {
      config: { roles: [Role.Admin, Role.Developer] },
      schema: { tags: ['recordings'], params: RecordingId, response: { 204: z.null(), ...errors } },
    },
    async (request, reply) => {
      const { rowCount } = await app.pg.query('delete from recordings where tenant_id = $1 and id = $2', [
        request.principal.tenantId,
        request.params.id,
      ]);
      if (!rowCount) throw new NotFoundError('recording', request.params.id);
      return reply.code(204).send(null);
    },
  );
};

export default recordings;
