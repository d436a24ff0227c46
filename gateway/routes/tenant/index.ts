import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { ALLOW_HOST_PATTERN } from '../../../lib/http-allowlist';
import { allowHostRefusal } from '../../../lib/outbound/address';
import { InvalidFieldError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { TicketSettings } from '../../../domain/ticket/settings';

const Tenant = z
  .object({
    id: z.string(),
    name: z.string(),
    /** Hosts the tenant's flows may call from http nodes; `*.example.com` allows subdomains. */
    httpAllowHosts: z.array(z.string()),
    version: z.number().int(),
  })
  .meta({ id: 'Tenant' });

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

/** The caller's own tenant and its settings. */
const tenant: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/ticket-settings',
    {
      config: { roles: [Role.Admin, Role.Supervisor] },
      schema: {
        tags: ['tenant'],
        summary: 'SLA targets, business calendar, reopen and auto-close periods for new tickets',
        response: { 200: TicketSettings, ...errors },
      },
    },
    async (request) => {
      const { rows } = await app.pg.query<{ ticket_settings: unknown }>(
        'select ticket_settings from tenants where id = $1',
        [request.principal.tenantId],
      );
      return TicketSettings.parse(rows[0]?.ticket_settings ?? {});
    },
  );

  app.put(
    '/ticket-settings',
    {
      config: { roles: [Role.Admin] },
      schema: {
        tags: ['tenant'],
        summary: 'Replace the ticket settings; tickets already open keep theirs',
        body: TicketSettings,
        response: { 200: TicketSettings, ...errors },
      },
    },
    async (request) => {
      await app.pg.query(
        'update tenants set ticket_settings = $2, version = version + 1, updated_at = now() where id = $1',
        [request.principal.tenantId, request.body],
      );
      return request.body;
    },
  );

  const read = async (id: string) => {
    const { rows } = await app.pg.query<{
      id: string;
      name: string;
      http_allow_hosts: string[];
      version: number;
    }>('select id, name, http_allow_hosts, version from tenants where id = $1', [id]);
    const row = rows[0]!;
    return { id: row.id, name: row.name, httpAllowHosts: row.http_allow_hosts, version: row.version };
  };

  app.get(
    '/',
    {
      config: { roles: [Role.Admin, Role.Developer, Role.Supervisor, Role.Agent] },
      schema: { tags: ['tenant'], response: { 200: Tenant, ...errors } },
    },
    async (request) => read(request.principal.tenantId),
  );

  app.put(
    '/http-allow-hosts',
    {
      config: { roles: [Role.Admin] },
      schema: {
        tags: ['tenant'],
        summary: "Replace the hosts the tenant's http nodes may call",
        body: z.object({
          hosts: z
            .array(
              z
                .string()
                .trim()
                .toLowerCase()
                .regex(ALLOW_HOST_PATTERN, 'a host name or IP address, optionally starting with *.'),
            )
            .max(200),
        }),
        response: { 200: Tenant, ...errors },
      },
    },
    async (request) => {
      // Names are checked again at each request, where they resolve; literals and localhost now.
      request.body.hosts.forEach((host, i) => {
        const refusal = allowHostRefusal(host, app.config.OUTBOUND_POLICY);
        if (refusal)
          throw new InvalidFieldError(`body.hosts.${i}`, `${refusal}: never reachable from a flow`);
      });
      await app.pg.query(
        `update tenants set http_allow_hosts = $2, version = version + 1, updated_at = now() where id = $1`,
        [request.principal.tenantId, [...new Set(request.body.hosts)]],
      );
      return read(request.principal.tenantId);
    },
  );
};

export default tenant;
