/**
 * What the site drill (bench/sites-drill.ts) sets up and counts, apart from its timeline: a campaign per
 * site, a webhook receiver, and Asterisk's own count of dials per customer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { json } from '../test/support/acd';
import { channelsCreatedOn } from '../test/support/ari-log';
import { campaignKit, zones } from '../test/support/campaigns';
import type { SiteStack } from '../test/support/two-sites';

/** Contacts per site's campaign: 700-749 at A, 750-799 at B. */
export const CONTACTS_PER_SITE = 50;
/** No disposition is dialed again: a contact's one dial is the whole story. */
const ONE_ATTEMPT = Object.fromEntries(
  ['busy', 'no_answer', 'failed', 'machine', 'abandoned'].map((d) => [d, { delaySec: 0, maxAttempts: 1 }]),
);

/** A campaign at `site` of CONTACTS_PER_SITE synthetic customers from `firstNumber`, paced over `runMs`, started. */
export async function startCampaign(site: SiteStack, flowId: string, firstNumber: number, runMs: number) {
  const contacts = Array.from({ length: CONTACTS_PER_SITE }, (_, c) => String(firstNumber + c));
  const id = await campaignKit(() => site).campaign(
    {
      target: { kind: 'flow', flowId },
      pacing: { callsPerSecond: Math.max(0.01, CONTACTS_PER_SITE / (runMs / 1000)), maxConcurrent: 10 },
      retries: ONE_ATTEMPT,
      ringSeconds: 10,
    },
    contacts.map((phone) => ({ phone, tz: zones().open })),
  );
  const started = await site.api(`/v1/campaigns/${id}/start`, json('POST'));
  if (started.status !== 202) throw new Error(`campaign: ${JSON.stringify(started.body)}`);
  return { id, site: site.site, contacts };
}

/** A loopback webhook receiver: every delivery's id, and what happened (type and subject). */
export async function webhookReceiver() {
  const deliveries: { id: string; happening: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const e = JSON.parse(Buffer.concat(chunks).toString()) as {
        id: string;
        type: string;
        data: Record<string, unknown>;
      };
      const subject = e.data.callbackId ?? e.data.campaignId;
      // A running campaign's progress is announced again and again, each time anew; its end once.
      if (e.type === 'campaign.progress' && e.data.state !== 'completed')
        return void res.writeHead(200).end('ok');
      deliveries.push({ id: e.id, happening: `${e.type} ${String(subject)} ${String(e.data.state ?? '')}` });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { deliveries, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/drill` };
}

/** How many times each synthetic customer (1xx, 6xx, 7xx) was dialed since `since`, from both Asterisks. */
export async function dialsPerCustomer(
  sites: readonly SiteStack[],
  since: Date,
): Promise<Map<string, number>> {
  const dials = new Map<string, number>();
  for (const site of sites) {
    for (const { channel } of await channelsCreatedOn(site, since, site.env.ASTERISK_NODE)) {
      const n = /^Local\/([167]\d\d)@synthetic-party.*;1$/.exec(channel?.name ?? '')?.[1];
      if (n) dials.set(n, (dials.get(n) ?? 0) + 1);
    }
  }
  return dials;
}
