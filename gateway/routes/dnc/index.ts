import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { isCountry, normalizePhone } from '../../../lib/phone';
import { InvalidFieldError, NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';

/** Numbers per request: a bigger list is a few requests, each one statement. */
const MAX_NUMBERS = 10_000;

const Entry = z
  .object({ phone: z.string(), reason: z.string().nullable(), addedAt: z.string() })
  .meta({ id: 'DncEntry' });
const Country = z
  .string()
  .length(2)
  .refine(isCountry, 'an ISO 3166 alpha-2 country code, e.g. US')
  .transform((c) => c.toUpperCase());

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const readers = [Role.Admin, Role.Developer, Role.Supervisor] as const;
const editors = [Role.Admin, Role.Developer] as const;

interface DncRow {
  phone: string;
  reason: string | null;
  added_at: Date;
}
const toEntry = (r: DncRow) => ({ phone: r.phone, reason: r.reason, addedAt: r.added_at.toISOString() });

/**
 * The tenant's do-not-call list. Campaigns check it just before each dial (a number added while a campaign
 * runs is not called again); uploads only count the listed numbers.
 */
const dnc: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/',
    {
      config: { roles: editors },
      schema: {
        tags: ['dnc'],
        summary: 'Add numbers (normalized to E.164); numbers already listed keep their first reason',
        body: z.object({
          numbers: z.array(z.string().max(100)).min(1).max(MAX_NUMBERS),
          reason: z.string().trim().max(200).optional(),
          /** ISO 3166 alpha-2 for numbers written without their country code. */
          country: Country.optional(),
        }),
        response: {
          200: z.object({
            added: z.number().int(),
            existing: z.number().int(),
            rejected: z.array(z.object({ index: z.number().int(), number: z.string(), reason: z.string() })),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { numbers, reason, country } = request.body;
      const valid = new Set<string>();
      const rejected: { index: number; number: string; reason: string }[] = [];
      numbers.forEach((raw, index) => {
        const result = normalizePhone(raw, country);
        if (result.ok) valid.add(result.e164);
        else rejected.push({ index, number: raw, reason: result.reason });
      });
      // In key order: at two sites each inserted key is locked (lib/sites/replication.sql), and inserts that
      // lock keys in one order never deadlock with each other.
      const { rowCount } = await app.pg.query(
        `insert into dnc_numbers (tenant_id, phone, reason)
         select $1, phone, $3 from unnest($2::text[]) as phone on conflict do nothing`,
        [request.principal.tenantId, [...valid].sort(), reason ?? null],
      );
      const added = rowCount ?? 0;
      return { added, existing: valid.size - added, rejected };
    },
  );

  app.get(
    '/',
    {
      config: { roles: readers },
      schema: {
        tags: ['dnc'],
        summary: 'Page through the list in number order',
        querystring: z.object({
          /** nextCursor of the previous page. */
          cursor: z.string().max(40).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: z.object({ numbers: z.array(Entry), nextCursor: z.string().nullable() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      // Keyset on the primary key (tenant_id, phone).
      const { rows } = await app.pg.query<DncRow>(
        `select phone, reason, added_at from dnc_numbers
          where tenant_id = $1 and phone > $2 order by phone limit $3`,
        [request.principal.tenantId, cursor ?? '', limit + 1],
      );
      const page = rows.slice(0, limit);
      return { numbers: page.map(toEntry), nextCursor: rows.length > limit ? page.at(-1)!.phone : null };
    },
  );

  app.delete(
    '/:phone',
    {
      config: { roles: editors },
      schema: {
        tags: ['dnc'],
        summary: 'Remove a number (E.164; `+` may be sent as %2B)',
        params: z.object({ phone: z.string().max(100) }),
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      const result = normalizePhone(request.params.phone);
      if (!result.ok) throw new InvalidFieldError('params.phone', result.reason);
      const { rowCount } = await app.pg.query('delete from dnc_numbers where tenant_id = $1 and phone = $2', [
        request.principal.tenantId,
        result.e164,
      ]);
      if (!rowCount) throw new NotFoundError('do-not-call number', result.e164);
      return reply.code(204).send(null);
    },
  );
};

export default dnc;
