import { routeByNode } from '../../activities/nodes';
import {
  ariTaskQueue,
  AsteriskNodesError,
  NODE_LOST_FAILURE,
  parseAsteriskNodes,
} from '../../domain/asterisk-nodes';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { createLostNodeActivities, nodeLostFailure } from '../../activities/lost-node';
import { parseLostNodes } from '../../lib/sites/lost-nodes';
import { isChannelGone, isNodeLost } from '../../workflows/shared/failures';
import { noteEnding } from '../../workflows/shared/call-ending';
import type { CallStatus } from '../../workflows/call/contract';

const defaults = { user: 'cticloud', password: 'secret' };

describe('ASTERISK_NODES', () => {
  test('names each node, first is primary, credentials in the URL win over the shared ones', () => {
    expect(
      parseAsteriskNodes('ast1=http://127.0.0.1:8088, ast2=http://u:p%40ss@10.0.0.2:8088/', defaults),
    ).toEqual([
      { name: 'ast1', url: 'http://127.0.0.1:8088', user: 'cticloud', password: 'secret' },
      { name: 'ast2', url: 'http://10.0.0.2:8088', user: 'u', password: 'p@ss' },
    ]);
  });

  test.each([
    ['', 'no node'],
    ['ast1', 'expected <name>=<ARI URL>'],
    ['a.b=http://x:1', 'a name is letters'],
    ['a=http://x:1,a=http://y:1', 'name used twice'],
    ['a=nowhere', 'not a URL'],
    ['a=ftp://x:1', 'ARI is http or https'],
  ])('refuses %j (%s)', (spec, reason) => {
    expect(() => parseAsteriskNodes(spec, defaults)).toThrow(AsteriskNodesError);
    expect(() => parseAsteriskNodes(spec, defaults)).toThrow(reason);
  });

  test("a node's task queue is apart from the call queue and from other deployments'", () => {
    expect(ariTaskQueue('calls', 'ast2')).toBe('calls-ari-ast2');
    expect(ariTaskQueue('calls-test', 'ast2')).not.toBe(ariTaskQueue('calls', 'ast2'));
  });
});

describe('routeByNode', () => {
  const setFor = (node: string) => ({
    hangup: async (input: { channelId: string; node?: string }) => `${node}:${input.channelId}`,
  });
  const routed = routeByNode(
    new Map([
      ['ast1', setFor('ast1')],
      ['ast2', setFor('ast2')],
    ]),
    'ast1',
  );

  test("runs each call in the set of the node its input names, the primary's when none", async () => {
    await expect(routed.hangup({ channelId: 'c', node: 'ast2' })).resolves.toBe('ast2:c');
    await expect(routed.hangup({ channelId: 'c', node: 'ast1' })).resolves.toBe('ast1:c');
    await expect(routed.hangup({ channelId: 'c' })).resolves.toBe('ast1:c');
  });

  test('a node this worker does not know fails (retryably), never reaching another Asterisk', async () => {
    await expect(routed.hangup({ channelId: 'c', node: 'ast9' })).rejects.toThrow('ast9 is not configured');
  });
});

describe('a node declared lost', () => {
  const lost = new Set(['ast2', 'gone']);
  const routed = routeByNode(
    new Map([
      ['ast1', { hangup: async (input: { channelId: string; node?: string }) => `ast1:${input.channelId}` }],
      ['ast2', { hangup: async (input: { channelId: string; node?: string }) => `ast2:${input.channelId}` }],
    ]),
    'ast1',
    (node) => lost.has(node),
  );
  const failureOf = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  };

  test('a local activity for a channel there fails with NodeLost, not retried; other nodes still answer', async () => {
    for (const node of ['ast2', 'gone']) {
      const failure = await failureOf(routed.hangup({ channelId: 'c', node }));
      expect([failure.type, failure.nonRetryable]).toEqual([NODE_LOST_FAILURE, true]);
      expect(failure.message).toContain(node);
    }
    await expect(routed.hangup({ channelId: 'c', node: 'ast1' })).resolves.toBe('ast1:c');
  });

  test("its task queue's worker answers every activity a live node registers with NodeLost", async () => {
    const answered = createLostNodeActivities('site-a', ['hangup', 'callbackAttempt', 'dialOut']);
    expect(Object.keys(answered)).toEqual(['hangup', 'callbackAttempt', 'dialOut']);
    for (const fn of Object.values(answered)) {
      const failure = await failureOf(fn());
      expect([failure.type, failure.nonRetryable]).toEqual([NODE_LOST_FAILURE, true]);
    }
  });

  test('the namespace record keeps node names only', () => {
    expect(parseLostNodes('site-a, ast_2,,bad name,x.y')).toEqual(['site-a', 'ast_2']);
    expect(parseLostNodes('')).toEqual([]);
    expect(parseLostNodes(undefined)).toEqual([]);
  });

  test('workflows take it for a vanished channel, and the call as ended by the system', () => {
    const lostFailure = new ActivityFailure(
      'activity failed',
      'hangup',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      undefined,
      nodeLostFailure('ast2'),
    );
    const gone = new ActivityFailure(
      'activity failed',
      'hangup',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      undefined,
      ApplicationFailure.create({ type: 'ChannelGone', nonRetryable: true }),
    );
    expect([isChannelGone(lostFailure), isNodeLost(lostFailure)]).toEqual([true, true]);
    expect([isChannelGone(gone), isNodeLost(gone)]).toEqual([true, false]);
    const status = (): CallStatus =>
      ({
        workflowId: 'w',
        channelId: 'c',
        tenantId: 't',
        from: '1',
        to: '2',
        startedAt: '',
        digits: '',
      }) as unknown as CallStatus;
    const lostCall = status();
    noteEnding(lostCall, lostFailure);
    const leftCall = status();
    noteEnding(leftCall, gone);
    expect([lostCall.endedBy, lostCall.disposition]).toEqual(['system', undefined]);
    expect([leftCall.endedBy, leftCall.disposition]).toEqual(['caller', undefined]);
  });
});
