import type { Pool } from '../../../lib/db';
import type { FlowDefinition } from '../../../domain/flow/definition';
import type { Rollout } from '../../../domain/flow/rollout';
import { InvalidFieldError, NotFoundError } from '../../errors';

export class ConflictError extends Error {
  readonly statusCode = 409;
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

interface FlowRow {
  id: string;
  name: string;
  description: string;
  version: number;
  draft: FlowDefinition;
  created_at: Date;
  updated_at: Date;
  latest_published: number | null;
}

const SELECT = `select f.id, f.name, f.description, f.version, f.draft, f.created_at, f.updated_at,
  (select max(number) from flow_versions v where v.flow_id = f.id) as latest_published
  from flows f where f.tenant_id = $1 and f.deleted_at is null`;

const toFlow = (row: FlowRow) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  version: row.version,
  latestPublished: row.latest_published,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  definition: row.draft,
});

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

/** Flows of one tenant: every query is scoped by the tenant, so another tenant's flow is simply not found. */
export class FlowStore {
  constructor(
    private readonly pool: Pool,
    private readonly tenantId: string,
  ) {}

  async list() {
    const { rows } = await this.pool.query<FlowRow>(`${SELECT} order by f.name`, [this.tenantId]);
    return rows.map(toFlow);
  }

  async get(id: string) {
    const { rows } = await this.pool.query<FlowRow>(`${SELECT} and f.id = $2`, [this.tenantId, id]);
    if (!rows[0]) throw new NotFoundError('flow', id);
    return toFlow(rows[0]);
  }

  async create(input: { name: string; description: string; definition: FlowDefinition }) {
    try {
      const { rows } = await this.pool.query<{ id: string }>(
        'insert into flows (tenant_id, name, description, draft) values ($1, $2, $3, $4) returning id',
        [this.tenantId, input.name, input.description, input.definition],
      );
      return this.get(rows[0]!.id);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a flow named ${input.name} exists already`);
      throw err;
    }
  }

  async update(
    id: string,
    input: { name: string; description: string; definition: FlowDefinition; version: number },
  ) {
    let updated;
    try {
      updated = await this.pool.query(
        `update flows set name = $3, description = $4, draft = $5, version = version + 1, updated_at = now()
          where tenant_id = $1 and id = $2 and deleted_at is null and version = $6`,
        [this.tenantId, id, input.name, input.description, input.definition, input.version],
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a flow named ${input.name} exists already`);
      throw err;
    }
    if (updated.rowCount === 0) {
      const current = await this.get(id); // 404 when it does not exist
      throw new ConflictError(
        `flow ${id} is at version ${current.version}, not ${input.version}: reload and reapply`,
      );
    }
    return this.get(id);
  }

  async remove(id: string): Promise<void> {
    const { rowCount } = await this.pool.query(
      'update flows set deleted_at = now(), version = version + 1 where tenant_id = $1 and id = $2 and deleted_at is null',
      [this.tenantId, id],
    );
    if (rowCount === 0) throw new NotFoundError('flow', id);
  }

  /** Publishes the draft as the next version number; concurrent publishes get distinct numbers. */
  async publish(id: string, definition: FlowDefinition, keyId: string): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const locked = await client.query(
        'select 1 from flows where tenant_id = $1 and id = $2 and deleted_at is null for update',
        [this.tenantId, id],
      );
      if (!locked.rowCount) throw new NotFoundError('flow', id);
      const { rows } = await client.query<{ number: number }>(
        `insert into flow_versions (flow_id, number, definition, published_by)
         values ($1, coalesce((select max(number) from flow_versions where flow_id = $1), 0) + 1, $2, $3)
         returning number`,
        [id, definition, keyId],
      );
      await client.query('commit');
      return rows[0]!.number;
    } catch (err) {
      await client.query('rollback');
      throw err;
    } finally {
      client.release();
    }
  }

  async versions(id: string) {
    await this.get(id);
    const { rows } = await this.pool.query<{
      number: number;
      published_at: Date;
      definition: FlowDefinition;
    }>('select number, published_at, definition from flow_versions where flow_id = $1 order by number desc', [
      id,
    ]);
    return rows.map((r) => ({
      number: r.number,
      publishedAt: r.published_at.toISOString(),
      definition: r.definition,
    }));
  }

  async rollout(id: string): Promise<Rollout | null> {
    await this.get(id);
    const { rows } = await this.pool.query<{ rollout: Rollout }>(
      'select rollout from flow_rollouts where flow_id = $1',
      [id],
    );
    return rows[0]?.rollout ?? null;
  }

  /** Replaces the rule in one step: that is also how a canary is rolled back. */
  async setRollout(id: string, rollout: Rollout): Promise<Rollout> {
    const published = new Set((await this.versions(id)).map((v) => v.number));
    if (!published.has(rollout.stable))
      throw new InvalidFieldError('body.stable', `version ${rollout.stable} is not published`);
    if (rollout.canary && !published.has(rollout.canary.version)) {
      throw new InvalidFieldError(
        'body.canary.version',
        `version ${rollout.canary.version} is not published`,
      );
    }
    await this.pool.query(
      `insert into flow_rollouts (flow_id, rollout) values ($1, $2)
       on conflict (flow_id) do update set rollout = excluded.rollout, version = flow_rollouts.version + 1, updated_at = now()`,
      [id, rollout],
    );
    return rollout;
  }

  /** The tenant's recordings, for checking the prompts a flow plays. */
  async recordingIds(): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ id: string }>('select id from recordings where tenant_id = $1', [
      this.tenantId,
    ]);
    return new Set(rows.map((r) => r.id));
  }

  /** The tenant's queues, for checking queue and callback nodes. */
  async queueIds(): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ id: string }>(
      'select id from queues where tenant_id = $1 and deleted_at is null',
      [this.tenantId],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** For subflow recursion checks: the flows each of this tenant's latest published versions calls. */
  async publishedSubflowCalls(): Promise<Map<string, string[]>> {
    const { rows } = await this.pool.query<{ flow_id: string; definition: FlowDefinition }>(
      `select distinct on (v.flow_id) v.flow_id, v.definition from flow_versions v join flows f on f.id = v.flow_id
        where f.tenant_id = $1 and f.deleted_at is null order by v.flow_id, v.number desc`,
      [this.tenantId],
    );
    return new Map(
      rows.map((r) => [
        r.flow_id,
        r.definition.nodes
          .filter((n) => n.type === 'subflow')
          .map((n) => String((n.params as { flowId?: string }).flowId)),
      ]),
    );
  }
}
