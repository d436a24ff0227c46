import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { IdCursor } from '../../cursors';
import { Role } from '../../../lib/api-keys';
import {
  ContactsFormatError,
  IMPORT_LIMITS,
  importContactsCsv,
  importContactsJson,
  type ImportReport,
} from '../../../lib/contacts-import';
import { isCountry } from '../../../lib/phone';
import { InvalidFieldError, RequestTimeoutError, TooManyRequestsError } from '../../errors';
import { guardUpload, UploadStalledError } from '../../../lib/upload-guard';
import { ErrorBody } from '../../plugins/error-handler';
import { ConflictError } from '../flows/store';
import { CONTACT_STATES, OPEN_STATES, findCampaign, type ContactState } from './store';

/** A CSV upload is streamed, never held: this bounds the time a single upload may take, not memory. */
const MAX_CSV_BYTES = 2 * 1024 * 1024 * 1024;
/** A JSON body is parsed whole, so it is kept small; IMPORT_LIMITS.maxJsonRows bounds it too. */
const MAX_JSON_BYTES = 32 * 1024 * 1024;
const CSV_TYPES = ['text/csv', 'application/csv'] as const;

const Report = z
  .object({
    total: z.number().int(),
    accepted: z.number().int(),
    created: z.number().int(),
    merged: z.number().int(),
    rejected: z.number().int(),
    dnc: z.number().int(),
    /** False when reading stopped at an undelimitable record (an unclosed quote): re-upload the fixed file. */
    complete: z.boolean(),
    errors: z.array(z.object({ line: z.number().int(), reason: z.string() })),
  })
  .meta({ id: 'ContactsImportReport' });
const Attempt = z.object({
  attempt: z.number().int(),
  callId: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  disposition: z.string().nullable(),
  amd: z.string().nullable(),
});
const Contact = z
  .object({
    id: z.string(),
    phone: z.string(),
    timeZone: z.string(),
    fields: z.record(z.string(), z.string()),
    state: z.enum(CONTACT_STATES),
    lastDisposition: z.string().nullable(),
    nextAttemptAt: z.string(),
    line: z.number().int().nullable(),
    attempts: z.array(Attempt),
  })
  .meta({ id: 'CampaignContact' });
const CampaignId = z.object({ id: z.string().uuid('a campaign id is a UUID') });

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  408: ErrorBody,
  409: ErrorBody,
  415: ErrorBody,
  429: ErrorBody,
};

interface ContactRow {
  id: string;
  phone: string;
  time_zone: string;
  fields: Record<string, string>;
  state: ContactState;
  last_disposition: string | null;
  next_attempt_at: Date;
  line: number | null;
}
interface AttemptRow {
  contact_id: string;
  attempt: number;
  call_id: string;
  started_at: Date;
  ended_at: Date | null;
  disposition: string | null;
  amd: string | null;
}

/** A campaign's contacts: uploads (CSV streamed, multipart, or JSON) and paging with their attempts. */
/** Contact uploads one tenant may run at once (in this gateway process). */
const MAX_IMPORTS_PER_TENANT = 2;
/** A CSV upload that goes quiet for 15 s, or lasts 15 minutes, is abandoned (408). */
const UPLOAD_LIMITS = { idleMs: 15_000, totalMs: 15 * 60_000 } as const;

const contacts: FastifyPluginAsyncZod = async (app) => {
  const importsRunning = new Map<string, number>();
  // The request stream itself is the body: the import reads it as it arrives, so a million rows never sit in
  // memory, and the JSON body limit does not apply.
  app.addContentTypeParser([...CSV_TYPES], (_request, payload, done) => done(null, payload));
  // Registered here, so multipart parsing exists only on these routes.
  await app.register(multipart, { limits: { files: 1, fields: 10, fileSize: MAX_CSV_BYTES, parts: 20 } });

  app.post(
    '/:id/contacts',
    {
      config: {
        roles: [Role.Admin, Role.Developer],
        // One schema for every type (OpenAPI 3.1 through @fastify/swagger): a CSV text, or JSON contacts.
        rawBody: {
          contentTypes: [...CSV_TYPES, 'application/json'],
          schema: {
            anyOf: [
              { type: 'string', description: 'CSV: a header line naming `phone`, then one contact a line' },
              {
                type: 'array',
                maxItems: IMPORT_LIMITS.maxJsonRows,
                items: {
                  type: 'object',
                  required: ['phone'],
                  properties: { phone: { type: 'string' }, time_zone: { type: 'string' } },
                  additionalProperties: { type: 'string' },
                },
              },
            ],
          },
        },
      },
      bodyLimit: MAX_JSON_BYTES,
      schema: {
        tags: ['campaigns'],
        summary: 'Add contacts: text/csv (streamed), multipart/form-data (one CSV file) or a JSON array',
        description:
          'CSV: a header line naming `phone`, optionally `time_zone`, and any other columns, which become the ' +
          `contact's fields. JSON: \`[{ "phone": "+12125550123", "time_zone": "America/New_York", ...fields }]\`, ` +
          `at most ${IMPORT_LIMITS.maxJsonRows} contacts. Numbers are normalized to E.164; a number already in the ` +
          'campaign is merged (its fields updated). Bad rows are reported with their line and kept out; the rest ' +
          'are kept.',
        params: CampaignId,
        querystring: z.object({
          /** ISO 3166 alpha-2 for numbers written without their country code. */
          country: z
            .string()
            .length(2)
            .refine(isCountry, 'an ISO 3166 alpha-2 country code, e.g. US')
            .transform((c) => c.toUpperCase())
            .optional(),
        }),
        response: { 200: Report, ...errors },
      },
    },
    async (request, reply) => {
      const campaign = await findCampaign(app.pg, request.principal.tenantId, request.params.id);
      if (!OPEN_STATES.includes(campaign.state)) {
        throw new ConflictError(`campaign ${campaign.id} is ${campaign.state}: it takes no more contacts`);
      }
      const options = { defaultCountry: request.query.country };
      const tenantId = request.principal.tenantId;
      const running = importsRunning.get(tenantId) ?? 0;
      if (running >= MAX_IMPORTS_PER_TENANT) {
        throw new TooManyRequestsError(
          `at most ${MAX_IMPORTS_PER_TENANT} contact uploads at once per tenant; try again when one is done`,
          5,
        );
      }
      importsRunning.set(tenantId, running + 1);
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      let report: ImportReport;
      try {
        if ((CSV_TYPES as readonly string[]).includes(type)) {
          report = await importContactsCsv(
            app.pg,
            campaign.id,
            guardUpload(request.body as Readable, UPLOAD_LIMITS),
            options,
          );
        } else if (type === 'multipart/form-data') {
          const file = await request.file();
          if (!file)
            throw new InvalidFieldError('body', 'the form has no file: send the CSV as a file field');
          report = await importContactsCsv(
            app.pg,
            campaign.id,
            guardUpload(file.file, UPLOAD_LIMITS),
            options,
          );
        } else if (type === 'application/json') {
          if (!Array.isArray(request.body)) {
            throw new InvalidFieldError('body', 'a JSON body is an array of contacts');
          }
          report = await importContactsJson(app.pg, campaign.id, request.body, options);
        } else {
          return reply.code(415).send({
            statusCode: 415,
            error: 'Unsupported Media Type',
            message: `content-type must be one of ${[...CSV_TYPES, 'multipart/form-data', 'application/json'].join(', ')}`,
          });
        }
      } catch (err) {
        if (err instanceof UploadStalledError) throw new RequestTimeoutError(err.reason);
        if (err instanceof ContactsFormatError) {
          throw new InvalidFieldError(err.field === 'body' ? 'body' : `body.${err.field}`, err.reason);
        }
        // The campaign was deleted while its contacts were arriving.
        if ((err as { code?: string }).code === '23503') {
          throw new ConflictError(`campaign ${campaign.id} was deleted during the upload`);
        }
        throw err;
      } finally {
        const left = (importsRunning.get(tenantId) ?? 1) - 1;
        if (left > 0) importsRunning.set(tenantId, left);
        else importsRunning.delete(tenantId);
      }
      return report;
    },
  );

  app.get(
    '/:id/contacts',
    {
      config: { roles: [Role.Admin, Role.Developer, Role.Supervisor] },
      schema: {
        tags: ['campaigns'],
        summary: 'Page through contacts in upload order, each with its attempts',
        params: CampaignId,
        querystring: z.object({
          state: z.enum(CONTACT_STATES).optional(),
          /** nextCursor of the previous page. */
          cursor: IdCursor.optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: {
          200: z.object({ contacts: z.array(Contact), nextCursor: z.string().nullable() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const campaign = await findCampaign(app.pg, request.principal.tenantId, request.params.id);
      const { state, cursor, limit } = request.query;
      // Keyset on (campaign_id, id): every page costs the same, however deep.
      const { rows } = await app.pg.query<ContactRow>(
        `select id, phone, time_zone, fields, state, last_disposition, next_attempt_at, line
           from campaign_contacts
          where campaign_id = $1 and id > $2 and ($3::text is null or state = $3)
          order by id limit $4`,
        [campaign.id, cursor ?? '0', state ?? null, limit + 1],
      );
      const page = rows.slice(0, limit);
      const attempts = new Map<string, z.infer<typeof Attempt>[]>();
      if (page.length) {
        const found = await app.pg.query<AttemptRow>(
          `select contact_id, attempt, call_id, started_at, ended_at, disposition, amd
             from campaign_attempts where contact_id = any($1::bigint[]) order by contact_id, attempt`,
          [page.map((c) => c.id)],
        );
        for (const a of found.rows) {
          const list = attempts.get(a.contact_id) ?? [];
          list.push({
            attempt: a.attempt,
            callId: a.call_id,
            startedAt: a.started_at.toISOString(),
            endedAt: a.ended_at?.toISOString() ?? null,
            disposition: a.disposition,
            amd: a.amd,
          });
          attempts.set(a.contact_id, list);
        }
      }
      return {
        contacts: page.map((c) => ({
          id: c.id,
          phone: c.phone,
          timeZone: c.time_zone,
          fields: c.fields,
          state: c.state,
          lastDisposition: c.last_disposition,
          nextAttemptAt: c.next_attempt_at.toISOString(),
          line: c.line,
          attempts: attempts.get(c.id) ?? [],
        })),
        nextCursor: rows.length > limit ? page.at(-1)!.id : null,
      };
    },
  );
};

export default contacts;
