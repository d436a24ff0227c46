import { routeByNode } from '../../activities/nodes';
import { ariTaskQueue, AsteriskNodesError, parseAsteriskNodes } from '../../domain/asterisk-nodes';

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
