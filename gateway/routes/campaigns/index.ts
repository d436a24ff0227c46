import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { CampaignSettings, CampaignState } from '../../../domain/campaign/settings';
import { ErrorBody } from '../../plugins/error-handler';
import { ConflictError } from '../flows/store';
import {
  CONTACT_STATES,
  DELETABLE_STATES,
  EDITABLE_STATES,
  campaignCounts,
  checkTarget,
  findCampaign,
  toCampaign,
  type CampaignRow,
} from './store';

const States = Object.values(CampaignState) as [CampaignState, ...CampaignState[]];
// The shape without the input's refinement (already applied when stored), and retries without the transform
// that fills in defaults, which a response schema cannot encode back.
const Campaign = z
  .object({
    ...CampaignSettings.shape,
    retries: z.record(z.string(), z.object({ delaySec: z.number().int(), maxAttempts: z.number().int() })),
    id: z.string().uuid(),
    name: z.string(),
    state: z.enum(States),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Campaign' });
const Counts = z
  .object({
    contacts: z.number().int(),
    byState: z.record(z.enum(CONTACT_STATES), z.number().int()),
    byDisposition: z.record(z.string(), z.number().int()),
    attempts: z.number().int(),
  })
  .meta({ id: 'CampaignCounts' });
const CampaignInput = CampaignSettings.extend({ name: z.string().trim().min(1).max(120) });
const CampaignUpdate = CampaignInput.extend({
  /** The version the editor started from: a stale one is refused with 409. */
  version: z.number().int().positive().max(2_147_483_647),
});
const CampaignId = z.object({ id: z.string().uuid('a campaign id is a UUID') });

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const readers = [Role.Admin, Role.Developer, Role.Supervisor] as const;
const editors = [Role.Admin, Role.Developer] as const;

const uniqueName = (err: unknown, name: string): never => {
  if ((err as { code?: string }).code === '23505') throw new ConflictError(`a campaign named ${name} exists`);
  throw err;
};

/**
 * Outbound campaigns: settings and lifecycle here, contacts in ./contacts.ts. Created as drafts; the campaign
 * workflow moves them through running, paused, stopped and completed.
 */
const campaigns: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/',
    {
      config: { roles: readers },
      schema: {
        tags: ['campaigns'],
        querystring: z.object({ state: z.enum(States).optional() }),
        response: { 200: z.object({ campaigns: z.array(Campaign) }), ...errors },
      },
    },
    async (request) => {
      const { rows } = await app.pg.query<CampaignRow>(
        `select * from campaigns where tenant_id = $1 and ($2::text is null or state = $2)
          order by created_at desc`,
        [request.principal.tenantId, request.query.state ?? null],
      );
      return { campaigns: rows.map(toCampaign) };
    },
  );

  app.post(
    '/',
    {
      config: { roles: editors },
      schema: {
        tags: ['campaigns'],
        summary: 'Create a campaign (a draft: add contacts, then start it)',
        body: CampaignInput,
        response: { 201: Campaign, ...errors },
      },
    },
    async (request, reply) => {
      const { name, ...settings } = request.body;
      await checkTarget(app.pg, request.principal.tenantId, settings.target);
      const { rows } = await app.pg
        .query<CampaignRow>(
          'insert into campaigns (tenant_id, name, config) values ($1, $2, $3) returning *',
          [request.principal.tenantId, name, settings],
        )
        .catch((err: unknown) => uniqueName(err, name));
      return reply.code(201).send(toCampaign(rows[0]!));
    },
  );

  app.get(
    '/:id',
    {
      config: { roles: readers },
      schema: {
        tags: ['campaigns'],
        summary: 'Settings, state, and contacts counted by state and by last disposition',
        params: CampaignId,
        response: { 200: Campaign.extend({ counts: Counts }), ...errors },
      },
    },
    async (request) => {
      const row = await findCampaign(app.pg, request.principal.tenantId, request.params.id);
      return { ...toCampaign(row), counts: await campaignCounts(app.pg, row.id) };
    },
  );

  app.put(
    '/:id',
    {
      config: { roles: editors },
      schema: {
        tags: ['campaigns'],
        summary: 'Replace the settings of a draft or paused campaign',
        params: CampaignId,
        body: CampaignUpdate,
        response: { 200: Campaign, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const { name, version, ...settings } = request.body;
      const current = await findCampaign(app.pg, tenantId, request.params.id);
      if (!EDITABLE_STATES.includes(current.state)) {
        throw new ConflictError(
          `campaign ${current.id} is ${current.state}: settings change only while ${EDITABLE_STATES.join(' or ')}`,
        );
      }
      await checkTarget(app.pg, tenantId, settings.target);
      // The state is checked again in the update: the campaign may have been started meanwhile.
      const { rows } = await app.pg
        .query<CampaignRow>(
          `update campaigns set name = $3, config = $4, version = version + 1, updated_at = now()
            where tenant_id = $1 and id = $2 and version = $5 and state = any($6) returning *`,
          [tenantId, current.id, name, settings, version, EDITABLE_STATES],
        )
        .catch((err: unknown) => uniqueName(err, name));
      if (!rows[0]) {
        const now = await findCampaign(app.pg, tenantId, current.id);
        throw new ConflictError(
          now.version !== version
            ? `campaign ${current.id} is at version ${now.version}, not ${version}: reload and reapply`
            : `campaign ${current.id} is ${now.state}: settings change only while ${EDITABLE_STATES.join(' or ')}`,
        );
      }
      return toCampaign(rows[0]);
    },
  );

  app.delete(
    '/:id',
    {
      config: { roles: editors },
      schema: {
        tags: ['campaigns'],
        summary: 'Delete a draft, stopped or completed campaign with its contacts and attempts',
        params: CampaignId,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.principal;
      const current = await findCampaign(app.pg, tenantId, request.params.id);
      const { rowCount } = await app.pg.query(
        'delete from campaigns where tenant_id = $1 and id = $2 and state = any($3)',
        [tenantId, current.id, DELETABLE_STATES],
      );
      if (!rowCount) {
        const now = await findCampaign(app.pg, tenantId, current.id);
        throw new ConflictError(
          `campaign ${current.id} is ${now.state}: stop it first (only ${DELETABLE_STATES.join(', ')} campaigns are deleted)`,
        );
      }
      return reply.code(204).send(null);
    },
  );
};

export default campaigns;
