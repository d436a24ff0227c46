import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { agentReport, INTERVALS, queueReport, type Interval } from '../../../lib/reports/queues';
import { campaignReport, queueLog } from '../../../lib/reports/queue-log';
import { InvalidFieldError } from '../../errors';
import { Instant, utc } from '../../instants';
import { ErrorBody } from '../../plugins/error-handler';

/** A report covers at most this many days: one query, bounded. @default 93 */
const MAX_DAYS = 93;
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };
const roles = [Role.Admin, Role.Supervisor] as const;

const isZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};
const Range = z.object({
  from: Instant,
  to: Instant,
});
const Bucketed = Range.extend({
  interval: z.enum(Object.keys(INTERVALS) as [Interval, ...Interval[]]).default('1h'),
  /** IANA zone the intervals are cut in. @default 'UTC' */
  timeZone: z.string().max(64).refine(isZone, 'an IANA time zone, e.g. Europe/Paris').default('UTC'),
  queueId: z.uuid().optional(),
  /** json, or csv (a download). @default 'json' */
  format: z.enum(['json', 'csv']).default('json'),
});

/** The query with `from` and `to` in UTC, once `to` is found after `from` and at most MAX_DAYS apart. */
function inRange<Q extends { from: string; to: string }>(q: Q): Q {
  checkRange(q);
  return { ...q, from: utc(q.from), to: utc(q.to) };
}

/** `to` after `from`, at most MAX_DAYS apart: a 400 naming `to` otherwise. */
function checkRange({ from, to }: { from: string; to: string }) {
  const span = Date.parse(to) - Date.parse(from);
  if (span <= 0) throw new InvalidFieldError('querystring.to', 'after from');
  if (span > MAX_DAYS * 86_400_000)
    throw new InvalidFieldError('querystring.to', `within ${MAX_DAYS} days of from`);
}

/** Rows as CSV (RFC 4180), the first row's keys as header; nested values as JSON. */
export function toCsv(rows: Record<string, unknown>[]): string {
  if (!rows.length) return '';
  const keys = Object.keys(rows[0]!);
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [keys.join(','), ...rows.map((r) => keys.map((k) => cell(r[k])).join(','))].join('\r\n') + '\r\n';
}

const csv = (reply: FastifyReply, name: string, rows: Record<string, unknown>[]) =>
  reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(toCsv(rows));

const QueueRow = z
  .object({
    start: z.string(),
    localStart: z.string(),
    queueId: z.string(),
    queueName: z.string(),
    offered: z.number().int(),
    answered: z.number().int(),
    abandoned: z.number().int(),
    shortAbandoned: z.number().int(),
    overflowed: z.number().int(),
    serviceLevelSec: z.number().int(),
    answeredWithinServiceLevel: z.number().int(),
    serviceLevelConnect: z.number().nullable(),
    serviceLevelGenesys: z.number().nullable(),
    averageSpeedOfAnswerSec: z.number().nullable(),
    averageAbandonSec: z.number().nullable(),
    averageTalkSec: z.number().nullable(),
    averageHandleSec: z.number().nullable(),
  })
  .meta({ id: 'QueueReportRow' });
const AgentRow = z
  .object({
    start: z.string(),
    localStart: z.string(),
    agentId: z.string(),
    agentName: z.string(),
    answered: z.number().int(),
    talkSec: z.number(),
    averageTalkSec: z.number().nullable(),
    averageSpeedOfAnswerSec: z.number().nullable(),
  })
  .meta({ id: 'AgentReportRow' });

/**
 * Historical reports (docs/operations.md, "Reports"): queues and agents per interval in a time zone,
 * campaigns by disposition, and the queue outcomes in Asterisk's queue_log format. JSON, or CSV with
 * `format=csv`.
 */
const reports: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/queues',
    {
      config: { roles },
      schema: {
        tags: ['reports'],
        summary:
          'Per queue and interval: offered, answered, abandoned, service level (both definitions), ASA, AHT',
        querystring: Bucketed.extend({
          /** Seconds for the service level; each queue's own (default 20) when absent. */
          serviceLevelSec: z.coerce.number().int().min(1).max(3600).optional(),
          /** An abandon before this is a short abandon. @default 5 */
          shortAbandonSec: z.coerce.number().int().min(0).max(600).default(5),
          /** Leave short abandons out of the Genesys-style service level. @default false */
          excludeShortAbandons: z.enum(['true', 'false']).default('false'),
        }),
        response: { 200: z.object({ rows: z.array(QueueRow) }), ...errors },
      },
    },
    async (request, reply) => {
      const q = inRange(request.query);
      const rows = await queueReport(app.pg, {
        ...q,
        tenantId: request.principal.tenantId,
        excludeShortAbandons: q.excludeShortAbandons === 'true',
      });
      return q.format === 'csv' ? csv(reply, 'queues', rows as never) : { rows };
    },
  );

  app.get(
    '/agents',
    {
      config: { roles },
      schema: {
        tags: ['reports'],
        summary: 'Per agent and interval: contacts answered, talk time, their speed of answer',
        querystring: Bucketed,
        response: { 200: z.object({ rows: z.array(AgentRow) }), ...errors },
      },
    },
    async (request, reply) => {
      const q = inRange(request.query);
      const rows = await agentReport(app.pg, { ...q, tenantId: request.principal.tenantId });
      return q.format === 'csv' ? csv(reply, 'agents', rows as never) : { rows };
    },
  );

  app.get(
    '/campaigns',
    {
      config: { roles },
      schema: {
        tags: ['reports'],
        summary: "Per campaign: the period's attempts by disposition",
        querystring: Range.extend({ format: z.enum(['json', 'csv']).default('json') }),
        response: {
          200: z.object({
            rows: z.array(
              z.object({
                campaignId: z.string(),
                campaignName: z.string(),
                attempts: z.number().int(),
                byDisposition: z.record(z.string(), z.number().int()),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const q = inRange(request.query);
      const rows = await campaignReport(app.pg, { ...q, tenantId: request.principal.tenantId });
      return q.format === 'csv' ? csv(reply, 'campaigns', rows as never) : { rows };
    },
  );

  app.get(
    '/queue-log',
    {
      config: { roles },
      schema: {
        tags: ['reports'],
        summary: "The period's queue outcomes in Asterisk's queue_log format (text/plain, one event a line)",
        querystring: Range.extend({ queueId: z.uuid().optional() }),
        response: {
          200: z.any().meta({ description: 'text/plain: epoch|callid|queue|agent|event|data…' }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const q = inRange(request.query);
      const lines = await queueLog(app.pg, { ...q, tenantId: request.principal.tenantId });
      return reply.type('text/plain; charset=utf-8').send(lines.map((l) => `${l}\n`).join(''));
    },
  );
};

export default reports;
