import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from '../lib/db';
import { CampaignSettings } from '../domain/campaign/settings';
import type { CampaignDisposition, CampaignPlan, ClaimedContact } from '../workflows/campaign/contract';
import { isOpen, nextOpening } from '../domain/flow/hours';

interface ContactRow {
  id: string;
  phone: string;
  time_zone: string;
  fields: Record<string, string>;
  attempts: number;
}

/** Minutes of a HH:MM clock. */
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The campaign's calling window for a contact: open hours in their time zone, outside restricted periods. */
export function windowOpen(settings: CampaignSettings, timeZone: string, at: Date): boolean {
  const hours = { ...settings.window, timeZone };
  if (!isOpen(hours, at)) return false;
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  })
    .format(at)
    .slice(0, 5);
  return !settings.window.restricted.some(
    (r) => minutes(r.from) <= minutes(local) && minutes(local) < minutes(r.to),
  );
}

/** The next minute the window opens for a contact (restricted periods skipped), within two weeks. */
function nextWindow(settings: CampaignSettings, timeZone: string, from: Date): Date | undefined {
  let at: Date | undefined = from;
  for (let i = 0; i < 200 && at; i++) {
    at = nextOpening({ ...settings.window, timeZone }, at);
    if (!at || windowOpen(settings, timeZone, at)) return at;
    at = new Date(at.getTime() + 60_000);
  }
  return undefined;
}

/**
 * The campaign's contacts in PostgreSQL: claiming the due ones, recording each attempt's outcome with the
 * retry rules, the do-not-call check just before a dial.
 */

/** Whether the tenant's do-not-call list has the number (checked just before each dial). */
export async function isDoNotCall(pool: Pool, tenantId: string, phone: string): Promise<boolean> {
  const { rowCount } = await pool.query('select 1 from dnc_numbers where tenant_id = $1 and phone = $2', [
    tenantId,
    phone,
  ]);
  return (rowCount ?? 0) > 0;
}

export function createCampaignActivities(pool: Pool) {
  const settingsOf = async (campaignId: string): Promise<CampaignSettings> => {
    const { rows } = await pool.query<{ config: unknown }>('select config from campaigns where id = $1', [
      campaignId,
    ]);
    if (!rows[0]) {
      throw ApplicationFailure.create({
        type: 'CampaignNotFound',
        message: `no campaign ${campaignId}`,
        nonRetryable: true,
      });
    }
    return CampaignSettings.parse(rows[0].config);
  };

  return {
    async loadPlan({
      campaignId,
      tenantId,
    }: {
      campaignId: string;
      tenantId: string;
    }): Promise<CampaignPlan> {
      const s = await settingsOf(campaignId);
      return {
        campaignId,
        tenantId,
        target: s.target,
        callerId: s.callerId,
        mode: s.mode,
        pacing: s.pacing,
        amd: s.amd,
        ringSeconds: s.ringSeconds,
      };
    },

    /**
     * Up to `limit` due contacts, marked dialing under `token`. A retry with the same token returns the
     * same contacts, so none is claimed twice and none is lost. Contacts whose window is closed now are
     * put back for when it opens.
     */
    async claimContacts(input: { campaignId: string; limit: number; token: string }) {
      const settings = await settingsOf(input.campaignId);
      const mine = await pool.query<ContactRow>(
        `select id, phone, time_zone, fields, attempts from campaign_contacts where claim = $1 and state = 'dialing'`,
        [input.token],
      );
      let rows = mine.rows;
      if (!rows.length) {
        ({ rows } = await pool.query<ContactRow>(
          `with due as (
             select id from campaign_contacts
              where campaign_id = $1 and state = 'pending' and next_attempt_at <= now()
              order by next_attempt_at, id limit $2 for update skip locked)
           update campaign_contacts c set state = 'dialing', claim = $3, attempts = c.attempts + 1, updated_at = now()
             from due where c.id = due.id
           returning c.id, c.phone, c.time_zone, c.fields, c.attempts`,
          [input.campaignId, input.limit, input.token],
        ));
      }
      const now = new Date();
      const contacts: ClaimedContact[] = [];
      for (const row of rows) {
        if (windowOpen(settings, row.time_zone, now)) {
          contacts.push({
            id: String(row.id),
            phone: row.phone,
            timeZone: row.time_zone,
            fields: row.fields,
            attempt: row.attempts,
          });
          continue;
        }
        const opens = nextWindow(settings, row.time_zone, now);
        await pool.query(
          `update campaign_contacts set state = $2, attempts = attempts - 1, claim = null,
                  next_attempt_at = coalesce($3, next_attempt_at), last_disposition = coalesce($4, last_disposition),
                  updated_at = now()
            where id = $1`,
          [row.id, opens ? 'pending' : 'failed', opens ?? null, opens ? null : 'no_window'],
        );
      }
      const { rows: left } = await pool.query<{ open: string; next_due: Date | null }>(
        `select count(*) filter (where state in ('pending', 'dialing')) as open,
                min(next_attempt_at) filter (where state = 'pending') as next_due
           from campaign_contacts where campaign_id = $1`,
        [input.campaignId],
      );
      return {
        contacts,
        open: Number(left[0]?.open ?? 0),
        nextDueAt: left[0]?.next_due?.toISOString(),
      };
    },

    /** Claimed but never dialed (paused or stopped first): back to pending, the attempt not counted. */
    async releaseContacts({ ids }: { ids: string[] }): Promise<void> {
      if (!ids.length) return;
      await pool.query(
        `update campaign_contacts set state = 'pending', attempts = attempts - 1, claim = null, updated_at = now()
          where id = any($1::bigint[]) and state = 'dialing'`,
        [ids],
      );
    },

    /** Checked just before each dial: a number added to the list after the upload is still never called. */
    async isDoNotCall({ tenantId, phone }: { tenantId: string; phone: string }): Promise<boolean> {
      return isDoNotCall(pool, tenantId, phone);
    },

    /**
     * An attempt's outcome, once (keyed by the call id), and the contact's next state by the retry rules:
     * reached, given up, or due again after the disposition's delay. A cancelled attempt (the campaign was
     * stopped before the call was answered) gives the contact back untouched.
     */
    async recordAttempt(input: {
      campaignId: string;
      contactId: string;
      attempt: number;
      callId: string;
      startedAt: string;
      disposition: CampaignDisposition | 'cancelled';
      amd?: string;
    }): Promise<void> {
      const settings = await settingsOf(input.campaignId);
      const client = await pool.connect();
      try {
        await client.query('begin');
        const inserted = await client.query(
          `insert into campaign_attempts (campaign_id, contact_id, attempt, call_id, started_at, ended_at, disposition, amd)
           values ($1, $2, $3, $4, $5, now(), $6, $7) on conflict (call_id) do nothing`,
          [
            input.campaignId,
            input.contactId,
            input.attempt,
            input.callId,
            input.startedAt,
            input.disposition,
            input.amd ?? null,
          ],
        );
        if (inserted.rowCount) {
          const d = input.disposition;
          const rule = d === 'answered' || d === 'dnc' || d === 'cancelled' ? undefined : settings.retries[d];
          const [state, delaySec] =
            d === 'answered'
              ? ['done', 0]
              : d === 'dnc'
                ? ['dnc', 0]
                : d === 'cancelled'
                  ? ['pending', 0]
                  : !rule || input.attempt >= rule.maxAttempts
                    ? ['failed', 0]
                    : ['pending', rule.delaySec];
          await client.query(
            `update campaign_contacts
                set state = $2, claim = null, last_disposition = $3, updated_at = now(),
                    attempts = attempts - $5::int,
                    next_attempt_at = now() + make_interval(secs => $4)
              where id = $1`,
            [input.contactId, state, d === 'cancelled' ? null : d, delaySec, d === 'cancelled' ? 1 : 0],
          );
        }
        await client.query('commit');
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },

    async setCampaignState({ campaignId, state }: { campaignId: string; state: string }): Promise<void> {
      await pool.query(
        'update campaigns set state = $2, version = version + 1, updated_at = now() where id = $1',
        [campaignId, state],
      );
    },
  };
}

export type CampaignActivities = ReturnType<typeof createCampaignActivities>;
