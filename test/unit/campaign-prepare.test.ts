import { NoLiveAsteriskNodeError, type AriNodes } from '../../asterisk/nodes';
import { createAttemptPreparation } from '../../activities/campaign-prepare';
import type { ChannelEventSource } from '../../activities/channel-events';
import type { Pool } from '../../lib/db';

function prepare(options: { dnc: boolean; live: boolean }) {
  const picked: string[] = [];
  const pool = { query: async () => ({ rowCount: options.dnc ? 1 : 0, rows: [] }) } as unknown as Pool;
  const nodes = {
    pick: async () => {
      if (!options.live) throw new NoLiveAsteriskNodeError(['ast1']);
      picked.push('ast1');
      return 'ast1';
    },
  } as unknown as AriNodes;
  const events = { position: async () => 42 } as unknown as ChannelEventSource;
  return { ...createAttemptPreparation({ pool, nodes, events }), picked };
}

test('a contact to dial gets a live node and the stream position, in one call', async () => {
  const p = prepare({ dnc: false, live: true });
  expect(await p.prepareAttempt({ tenantId: 't', phone: '1', dials: true })).toEqual({
    doNotCall: false,
    node: 'ast1',
    fromSeq: 42,
  });
});

test('a do-not-call contact, or a preview attempt, chooses no node', async () => {
  const dnc = prepare({ dnc: true, live: true });
  expect(await dnc.prepareAttempt({ tenantId: 't', phone: '1', dials: true })).toMatchObject({
    doNotCall: true,
    node: '',
  });
  const preview = prepare({ dnc: false, live: true });
  await preview.prepareAttempt({ tenantId: 't', phone: '1', dials: false });
  expect([...dnc.picked, ...preview.picked]).toEqual([]);
});

test('no live Asterisk is a retryable failure: the local activity is retried while the node comes back', async () => {
  const p = prepare({ dnc: false, live: false });
  await expect(p.prepareAttempt({ tenantId: 't', phone: '1', dials: true })).rejects.toMatchObject({
    nonRetryable: false,
  });
});
