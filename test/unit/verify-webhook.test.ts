import { MockActivityEnvironment } from '@temporalio/testing';
import { createHmac } from 'node:crypto';
import type { JetStreamClient } from 'nats';
import { createEventActivities, stableUuid } from '../../activities/events';
import { buildAsyncApiDocument } from '../../lib/events/asyncapi';
import { EVENT_TYPES } from '../../lib/events/schemas';
import { parseEventSubject, eventSubject } from '../../lib/events/subjects';
import {
  allowHostRefusal,
  checkTarget,
  isPrivateAddress,
  OutboundPolicy,
  type OutboundRules,
} from '../../lib/outbound/address';
import { signWebhookPayload, verifyWebhookSignature } from '../../sdk/verify-webhook';

const secret = 'whsec_0123456789abcdef';
const payload = JSON.stringify({ id: 'e1', type: 'call.ended', data: { callId: 'c1' } });
const now = Date.parse('2025-06-01T12:00:00Z');
const t = Math.floor(now / 1000);

describe('verifyWebhookSignature', () => {
  test('accepts what the sender signed, as documented: HMAC-SHA256 of `${t}.${body}`, hex', () => {
    const header = signWebhookPayload(payload, secret, t);
    const expected = createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
    expect(header).toBe(`t=${t},v1=${expected}`);
    expect(verifyWebhookSignature({ payload, header, secret, now })).toEqual({ ok: true, timestamp: t });
    expect(verifyWebhookSignature({ payload: Buffer.from(payload), header, secret, now }).ok).toBe(true);
  });

  test('refuses a tampered body, a wrong secret, a stale or future timestamp', () => {
    const header = signWebhookPayload(payload, secret, t);
    expect(verifyWebhookSignature({ payload: payload.replace('c1', 'c2'), header, secret, now })).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    expect(verifyWebhookSignature({ payload, header, secret: `${secret}x`, now }).ok).toBe(false);
    expect(verifyWebhookSignature({ payload, header, secret, now: now + 301_000 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/tolerance/),
    });
    expect(verifyWebhookSignature({ payload, header, secret, now: now - 301_000 }).ok).toBe(false);
    expect(verifyWebhookSignature({ payload, header, secret, now: now + 299_000 }).ok).toBe(true);
    expect(
      verifyWebhookSignature({ payload, header, secret, now: now + 3600_000, toleranceSec: 7200 }).ok,
    ).toBe(true);
  });

  test('refuses a missing or malformed header; a timestamp changed after signing does not verify', () => {
    expect(verifyWebhookSignature({ payload, header: undefined, secret, now }).ok).toBe(false);
    expect(verifyWebhookSignature({ payload, header: 'garbage', secret, now }).ok).toBe(false);
    expect(verifyWebhookSignature({ payload, header: `t=${t}`, secret, now }).ok).toBe(false);
    expect(verifyWebhookSignature({ payload, header: `t=${t},v1=abcd`, secret, now }).ok).toBe(false);
    const moved = signWebhookPayload(payload, secret, t).replace(`t=${t}`, `t=${t + 1}`);
    expect(verifyWebhookSignature({ payload, header: moved, secret, now }).ok).toBe(false);
    // Any one matching v1 is enough (rotation), and an array of headers takes the first.
    const both = `${signWebhookPayload(payload, secret, t)},v1=${'0'.repeat(64)}`;
    expect(verifyWebhookSignature({ payload, header: [both], secret, now }).ok).toBe(true);
  });
});

describe('webhook addresses', () => {
  test.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    // IPv4 inside IPv6: compatible, NAT64 (local use), 6to4; and the deprecated site-local range.
    ['::7f00:1', true],
    ['64:ff9b:1::a00:1', true],
    ['2002:7f00:1::', true],
    ['fec0::1', true],
    ['8.8.8.8', false],
    ['2606:4700:4700::1111', false],
    ['not-an-ip', true],
  ])('%s private: %s', (ip, expected) => {
    expect(isPrivateAddress(ip)).toBe(expected);
  });

  const rules = (allowPrivate: boolean, policy: OutboundPolicy = OutboundPolicy.Public): OutboundRules => ({
    policy,
    allowPrivate,
    services: [{ host: '127.0.0.1', port: 8088 }],
  });

  test('public: http(s) only; loopback and metadata never, private only when allowed', async () => {
    expect(await checkTarget('ftp://example.com/x', rules(true))).toMatchObject({ ok: false });
    expect(await checkTarget('https://u:p@example.com/x', rules(true))).toMatchObject({ ok: false });
    for (const url of ['http://127.0.0.1:9/hook', 'http://[::1]:9/hook', 'http://localhost:9/hook']) {
      expect(await checkTarget(url, rules(false))).toMatchObject({ ok: false, retryable: false });
      // Loopback is never a tenant's destination on the public policy, even one allowed private ranges.
      expect(await checkTarget(url, rules(true))).toMatchObject({ ok: false, retryable: false });
    }
    expect(await checkTarget('http://169.254.169.254/latest/meta-data', rules(true))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/link-local/),
    });
    expect(await checkTarget('http://10.1.2.3/crm', rules(false))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/private/),
    });
    expect(await checkTarget('http://10.1.2.3/crm', rules(true))).toMatchObject({
      ok: true,
      address: '10.1.2.3',
    });
    expect(await checkTarget('http://93.184.216.34/x', rules(false))).toMatchObject({ ok: true });
  });

  test("loopback-only: loopback for allowed tenants, nothing else, never CTICloud's own services", async () => {
    const policy = OutboundPolicy.LoopbackOnly;
    expect(await checkTarget('http://127.0.0.1:9/hook', rules(true, policy))).toMatchObject({ ok: true });
    expect(await checkTarget('http://127.0.0.1:9/hook', rules(false, policy))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/private or loopback/),
    });
    expect(await checkTarget('http://93.184.216.34/x', rules(true, policy))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not loopback/),
    });
    // ARI, on any loopback address (a service bound to 0.0.0.0 answers on all of them).
    for (const url of ['http://127.0.0.1:8088/ari/channels', 'http://127.0.0.2:8088/ari/channels']) {
      expect(await checkTarget(url, rules(true, policy))).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/CTICloud's own services/),
      });
    }
  });

  test('an allow-list entry naming this machine or metadata is refused when saved (public policy)', () => {
    for (const entry of ['localhost', '127.0.0.1', '169.254.169.254', '::1', '*.localhost']) {
      expect(allowHostRefusal(entry, OutboundPolicy.Public)).toBeDefined();
    }
    expect(allowHostRefusal('crm.example.com', OutboundPolicy.Public)).toBeUndefined();
    expect(allowHostRefusal('10.0.0.5', OutboundPolicy.Public)).toBeUndefined();
    expect(allowHostRefusal('127.0.0.1', OutboundPolicy.LoopbackOnly)).toBeUndefined();
  });
});

describe('event subjects and ids', () => {
  test('a subject carries tenant and type, and parses back', () => {
    expect(eventSubject('acme', 'ticket.sla_breached')).toBe('cticloud.acme.events.ticket.sla_breached');
    expect(parseEventSubject('cticloud.acme.events.call.ended')).toEqual({
      tenantId: 'acme',
      type: 'call.ended',
    });
    expect(parseEventSubject('cticloud.acme.queue.q1.stats')).toBeUndefined();
  });

  test('stable ids are UUIDs, the same for the same name', () => {
    expect(stableUuid('a')).toBe(stableUuid('a'));
    expect(stableUuid('a')).not.toBe(stableUuid('b'));
    expect(stableUuid('a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('the AsyncAPI document has a channel, operation and message per event type', () => {
    const doc = buildAsyncApiDocument() as any;
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.keys(doc.channels)).toHaveLength(EVENT_TYPES.length);
    expect(Object.keys(doc.operations)).toHaveLength(EVENT_TYPES.length);
    const names = Object.values(doc.components.messages).map((m: any) => m.name);
    expect(names.sort()).toEqual([...EVENT_TYPES].sort());
  });
});

describe('emitEvent', () => {
  const publishes: { subject: string; body: string; msgID?: string }[] = [];
  const js = {
    publish: async (subject: string, body: string, opts: { msgID?: string }) => {
      publishes.push({ subject, body, msgID: opts.msgID });
      return { seq: publishes.length, duplicate: false, stream: 'EVENTS' };
    },
  } as unknown as JetStreamClient;
  const input = {
    type: 'call.answered',
    tenantId: 'acme',
    data: { callId: 'c1', from: '+1', to: '+2' },
  } as const;

  test('a retried activity publishes the same event id; a malformed event fails for good', async () => {
    const { emitEvent } = createEventActivities({ js });
    const env = new MockActivityEnvironment({ attempt: 1 });
    const first = (await env.run(emitEvent, input)) as { id: string };
    const retry = (await new MockActivityEnvironment({ attempt: 2 }).run(emitEvent, input)) as { id: string };
    expect(retry.id).toBe(first.id);
    expect(publishes[0]).toMatchObject({ subject: 'cticloud.acme.events.call.answered', msgID: first.id });
    expect(JSON.parse(publishes[0]!.body)).toMatchObject({
      id: first.id,
      type: 'call.answered',
      data: input.data,
    });
    await expect(env.run(emitEvent, { ...input, data: { callId: 'c1' } } as never)).rejects.toMatchObject({
      type: 'EventRejected',
      nonRetryable: true,
    });
  });
});
