/**
 * Following the site's Temporal frontend (lib/temporal-frontends.ts): when the process leaves it, where it
 * goes, when it comes back, and that a Client on a SwitchableConnection sends each call to the connection in
 * use at that moment. The real move, with a cluster killed, is in test/integration/temporal-cluster-lost.test.ts.
 */
import { Client, type ConnectionLike } from '@temporalio/client';
import { FrontendWatch, SwitchableConnection, frontendAddresses } from '../../lib/temporal-frontends';

const LOCAL = '127.0.0.1:7233';
const OTHER = '127.0.0.1:7333';
const THIRD = '127.0.0.1:7433';
const quiet = { warn: () => undefined, info: () => undefined };

/** A watch over frontends whose answers the test sets; `moves` lists where it went. */
function watchOver(addresses: string[], options: { current?: string; failUse?: boolean } = {}) {
  const up = new Map(addresses.map((a) => [a, true]));
  const moves: string[] = [];
  const watch = new FrontendWatch({
    addresses,
    current: options.current,
    probe: async (address) => up.get(address) ?? false,
    use: async (address) => {
      if (options.failUse) throw new Error('connect refused');
      moves.push(address);
    },
    log: quiet,
  });
  const rounds = async (n: number) => {
    for (let i = 0; i < n; i++) await watch.tick();
  };
  return { watch, up, moves, rounds };
}

test('the local frontend first, then the fallbacks in their order, each once', () => {
  expect(frontendAddresses(LOCAL, undefined)).toEqual([LOCAL]);
  expect(frontendAddresses(LOCAL, ` ${OTHER}, ${THIRD},${LOCAL},`)).toEqual([LOCAL, OTHER, THIRD]);
});

test('stays while the local frontend answers; one failed probe is not a lost cluster', async () => {
  const { watch, up, moves, rounds } = watchOver([LOCAL, OTHER]);
  await rounds(5);
  up.set(LOCAL, false);
  await rounds(1);
  up.set(LOCAL, true);
  await rounds(3);
  expect(moves).toEqual([]);
  expect(watch.address).toBe(LOCAL);
});

test('leaves after two failed probes for the first that answers, and comes back after three answers', async () => {
  const { watch, up, moves, rounds } = watchOver([LOCAL, OTHER, THIRD]);
  up.set(LOCAL, false);
  up.set(OTHER, false);
  await rounds(2);
  expect(moves).toEqual([THIRD]);
  expect(watch.address).toBe(THIRD);

  // Back up, but flapping: one answer then a miss starts the count again.
  up.set(LOCAL, true);
  await rounds(1);
  up.set(LOCAL, false);
  await rounds(1);
  up.set(LOCAL, true);
  await rounds(2);
  expect(watch.address).toBe(THIRD);
  await rounds(1);
  expect(moves).toEqual([THIRD, LOCAL]);
  expect(watch.address).toBe(LOCAL);
});

test('a fallback that is lost too moves the process on, to the local one if it answers', async () => {
  const { watch, up, moves, rounds } = watchOver([LOCAL, OTHER, THIRD], { current: OTHER });
  up.set(LOCAL, false);
  up.set(OTHER, false);
  await rounds(2);
  expect(moves).toEqual([THIRD]);
  expect(watch.address).toBe(THIRD);
});

test('stays when nothing answers, or when the move itself fails', async () => {
  const none = watchOver([LOCAL, OTHER]);
  none.up.set(LOCAL, false);
  none.up.set(OTHER, false);
  await none.rounds(4);
  expect(none.moves).toEqual([]);
  expect(none.watch.address).toBe(LOCAL);

  const refused = watchOver([LOCAL, OTHER], { failUse: true });
  refused.up.set(LOCAL, false);
  await refused.rounds(4);
  expect(refused.watch.address).toBe(LOCAL);
});

test('one address: nothing to follow, nothing probed', async () => {
  let probes = 0;
  const watch = new FrontendWatch({
    addresses: [LOCAL],
    probe: async () => (probes++, false),
    use: async () => undefined,
    log: quiet,
  });
  await watch.tick();
  expect(probes).toBe(0);
});

test('a Client on a SwitchableConnection sends each call to the connection in use at the time', async () => {
  const calls: string[] = [];
  const fake = (name: string) =>
    ({
      workflowService: {
        signalWorkflowExecution: async () => (calls.push(name), {}),
      },
      operatorService: {},
      plugins: [],
      close: async () => undefined,
      ensureConnected: async () => undefined,
      withDeadline: (_d: unknown, fn: () => Promise<unknown>) => fn(),
      withMetadata: (_m: unknown, fn: () => Promise<unknown>) => fn(),
      withAbortSignal: (_s: unknown, fn: () => Promise<unknown>) => fn(),
    }) as unknown as ConnectionLike;
  const connection = new SwitchableConnection(fake('a'));
  const client = new Client({ connection, namespace: 'n' });
  await client.workflow.getHandle('w').signal('s');
  connection.use(fake('b'));
  await client.workflow.getHandle('w').signal('s');
  expect(calls).toEqual(['a', 'b']);
});
