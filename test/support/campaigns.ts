/** Campaigns for integration tests: rows and contacts straight into PostgreSQL, flows, progress. */
import { CampaignSettings } from '../../domain/campaign/settings';
import { wallClock } from '../../domain/flow/hours';
import { json, unique } from './acd';
import type { TestStack } from './stack';

export const sleep = (ms: number): Promise<unknown> => new Promise((r) => setTimeout(r, ms));
const ZONES = [
  'Pacific/Kiritimati',
  'Asia/Tokyo',
  'Asia/Kolkata',
  'Europe/Paris',
  'America/New_York',
  'America/Los_Angeles',
  'Pacific/Honolulu',
];
/** A zone where it is now between 10:00 and 16:00, and one where it is not (the window is 09:00–17:00). */
export function zones(): { open: string; closed: string } {
  const hour = (tz: string) => Number(wallClock(new Date(), tz).time.slice(0, 2));
  return {
    open: ZONES.find((z) => hour(z) >= 10 && hour(z) < 16)!,
    closed: ZONES.find((z) => hour(z) < 8 || hour(z) >= 18)!,
  };
}
export const everyDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Helpers bound to the stack (or a site's) `stackOf()` answers once the suite's beforeAll made it. */
export function campaignKit(stackOf: () => Pick<TestStack, 'pool' | 'api'>) {
  /** A campaign row and its contacts, straight into PostgreSQL (the upload API has its own tests). */
  async function campaign(
    settings: Record<string, unknown>,
    contacts: { phone: string; tz: string; fields?: object }[],
  ) {
    const config = CampaignSettings.parse({
      callerId: '5550199',
      window: { weekly: [{ days: everyDay, open: '09:00', close: '17:00' }] },
      ...settings,
    });
    const { rows } = await stackOf().pool.query<{ id: string }>(
      `insert into campaigns (tenant_id, name, config) values ('default', $1, $2) returning id`,
      [unique('Campaign'), config],
    );
    const id = rows[0]!.id;
    for (const [line, c] of contacts.entries()) {
      await stackOf().pool.query(
        'insert into campaign_contacts (campaign_id, phone, time_zone, fields, line) values ($1, $2, $3, $4, $5)',
        [id, c.phone, c.tz, c.fields ?? {}, line + 2],
      );
    }
    return id;
  }

  async function publishFlow(nodes: object[], edges: object[], variables: object[] = []) {
    const flow = await stackOf().api(
      '/v1/flows',
      json('POST', {
        name: unique('Outbound'),
        definition: { schemaVersion: 1, start: (nodes[0] as { id: string }).id, nodes, edges, variables },
      }),
    );
    expect((await stackOf().api(`/v1/flows/${flow.body.id}/publish`, json('POST'))).status).toBe(201);
    return flow.body.id as string;
  }

  async function contactsOf(id: string) {
    const { rows } = await stackOf().pool.query<{
      phone: string;
      state: string;
      attempts: number;
      last_disposition: string | null;
    }>(
      'select phone, state, attempts, last_disposition from campaign_contacts where campaign_id = $1 order by phone',
      [id],
    );
    return Object.fromEntries(
      rows.map((r) => [r.phone, `${r.state}/${r.attempts}/${r.last_disposition ?? ''}`]),
    );
  }

  async function finished(id: string, timeoutMs = 120_000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await stackOf().pool.query<{ state: string }>(
        'select state from campaigns where id = $1',
        [id],
      );
      if (rows[0]?.state === 'completed') return;
      if (Date.now() > end)
        throw new Error(`campaign ${id} did not complete: ${JSON.stringify(await contactsOf(id))}`);
      await sleep(500);
    }
  }
  return { campaign, publishFlow, contactsOf, finished };
}
