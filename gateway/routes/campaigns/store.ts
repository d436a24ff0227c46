import type { Pool } from '../../../lib/db';
import { CampaignSettings, CampaignState } from '../../../domain/campaign/settings';
import { InvalidFieldError, NotFoundError } from '../../errors';

/** A contact's place in the campaign, as campaign_contacts.state. */
export const ContactState = {
  Pending: 'pending',
  Dialing: 'dialing',
  Done: 'done',
  Failed: 'failed',
  Dnc: 'dnc',
} as const;
export type ContactState = (typeof ContactState)[keyof typeof ContactState];
export const CONTACT_STATES = Object.values(ContactState) as [ContactState, ...ContactState[]];

/** States in which settings may change: a running campaign's workflow holds the plan it started with. */
export const EDITABLE_STATES: readonly CampaignState[] = [CampaignState.Draft, CampaignState.Paused];
/** States in which a campaign may be deleted: nothing is dialing. */
export const DELETABLE_STATES: readonly CampaignState[] = [
  CampaignState.Draft,
  CampaignState.Stopped,
  CampaignState.Completed,
];
/** States in which contacts may be added. */
export const OPEN_STATES: readonly CampaignState[] = [
  CampaignState.Draft,
  CampaignState.Running,
  CampaignState.Paused,
];

export interface CampaignRow {
  id: string;
  tenant_id: string;
  name: string;
  config: unknown;
  state: CampaignState;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export const toCampaign = (r: CampaignRow) => ({
  ...CampaignSettings.parse(r.config),
  id: r.id,
  name: r.name,
  state: r.state,
  version: r.version,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** The tenant's campaign, or 404 (another tenant's campaign does not exist for the caller). */
export async function findCampaign(pool: Pool, tenantId: string, id: string): Promise<CampaignRow> {
  const { rows } = await pool.query<CampaignRow>('select * from campaigns where tenant_id = $1 and id = $2', [
    tenantId,
    id,
  ]);
  if (!rows[0]) throw new NotFoundError('campaign', id);
  return rows[0];
}

/**
 * The target must exist for the tenant when the campaign is saved: a published flow (its latest version is
 * what each answered call runs) or a queue not deleted. Checked again by the campaign when it starts.
 *
 * @throws InvalidFieldError naming `body.target.flowId` or `body.target.queueId`
 */
export async function checkTarget(
  pool: Pool,
  tenantId: string,
  target: CampaignSettings['target'],
): Promise<void> {
  if (target.kind === 'flow') {
    const { rows } = await pool.query<{ published: boolean }>(
      `select exists (select 1 from flow_versions v where v.flow_id = f.id) as published
         from flows f where f.tenant_id = $1 and f.id = $2 and f.deleted_at is null`,
      [tenantId, target.flowId],
    );
    if (!rows[0]) throw new InvalidFieldError('body.target.flowId', `no flow ${target.flowId}`);
    if (!rows[0].published) {
      throw new InvalidFieldError('body.target.flowId', `flow ${target.flowId} has no published version`);
    }
    return;
  }
  const { rowCount } = await pool.query(
    'select 1 from queues where tenant_id = $1 and id = $2 and deleted_at is null',
    [tenantId, target.queueId],
  );
  if (!rowCount) throw new InvalidFieldError('body.target.queueId', `no queue ${target.queueId}`);
}

export interface CampaignCounts {
  /** Contacts in the campaign. */
  contacts: number;
  /** Contacts by state; every state is present, 0 when none. */
  byState: Record<ContactState, number>;
  /** Contacts by their last attempt's disposition; contacts not yet attempted are not counted. */
  byDisposition: Record<string, number>;
  /** Dial attempts started, all contacts together. */
  attempts: number;
}

/**
 * Counts from the tables, for GET /v1/campaigns/:id. Exact but not free (a scan of the campaign's
 * contacts: 0.2–0.7 s for a million in bench/contacts-import.ts); the campaign workflow's progress query holds the live pace and in-flight
 * figures, which the campaign workflow's routes merge with these.
 */
export async function campaignCounts(pool: Pool, campaignId: string): Promise<CampaignCounts> {
  // Attempts are summed from the contacts (each counts its own): campaign_attempts has no campaign index.
  const { rows } = await pool.query<{
    state: ContactState;
    disposition: string | null;
    n: number;
    attempts: number;
  }>(
    `select state, last_disposition as disposition, count(*)::int as n, sum(attempts)::int as attempts
       from campaign_contacts where campaign_id = $1 group by state, last_disposition`,
    [campaignId],
  );
  const counts: CampaignCounts = {
    contacts: 0,
    byState: Object.fromEntries(CONTACT_STATES.map((s) => [s, 0])) as Record<ContactState, number>,
    byDisposition: {},
    attempts: 0,
  };
  for (const { state, disposition, n, attempts } of rows) {
    counts.contacts += n;
    counts.attempts += attempts;
    counts.byState[state] = (counts.byState[state] ?? 0) + n;
    if (disposition) counts.byDisposition[disposition] = (counts.byDisposition[disposition] ?? 0) + n;
  }
  return counts;
}
