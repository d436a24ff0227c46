/**
 * Automatic site failover's rule (lib/sites/auto-failover.ts) and its witness (lib/sites/witness.ts): a site
 * takes over only after the other has been silent on every path for the set time and the witness cannot
 * reach it either. The witness runs for real on loopback against a real HTTP server standing in for a site.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  askWitness,
  peerSilent,
  shouldTakeOver,
  watchPeer,
  type PeerObservation,
  type WitnessVote,
} from '../../lib/sites/auto-failover';
import { createWitness, parseWitnessSites } from '../../lib/sites/witness';

const SILENT: PeerObservation = { api: false, temporal: false, heartbeatAgeMs: 10_000 };

test('the other site is silent only when no path hears from it', () => {
  expect(peerSilent(SILENT, 5000)).toBe(true);
  expect(peerSilent({ ...SILENT, heartbeatAgeMs: undefined }, 5000)).toBe(true);
  expect(peerSilent({ ...SILENT, api: true }, 5000)).toBe(false);
  expect(peerSilent({ ...SILENT, temporal: true }, 5000)).toBe(false);
  // Its configuration still arriving means its database lives and the link does.
  expect(peerSilent({ ...SILENT, heartbeatAgeMs: 1200 }, 5000)).toBe(false);
});

test('only the witness agreeing, after the whole wait, makes a takeover', () => {
  expect(shouldTakeOver(5000, 5000, 'peer-unreachable')).toBe(true);
  expect(shouldTakeOver(4999, 5000, 'peer-unreachable')).toBe(false);
  expect(shouldTakeOver(60_000, 5000, 'peer-reachable')).toBe(false);
  expect(shouldTakeOver(60_000, 5000, 'witness-unreachable')).toBe(false);
});

const quietLog = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };

/** Runs a watch on scripted observations and votes until it takes over or `ms` pass. */
async function watchFor(ms: number, observations: () => PeerObservation, vote: () => WitnessVote) {
  const takeOver = jest.fn(async () => undefined);
  const asked: WitnessVote[] = [];
  const watch = watchPeer({
    afterMs: 100,
    intervalMs: 10,
    log: quietLog,
    observe: async () => observations(),
    askWitness: async () => {
      asked.push(vote());
      return asked.at(-1)!;
    },
    takeOver,
  });
  const end = Date.now() + ms;
  while (Date.now() < end && !takeOver.mock.calls.length) await new Promise((r) => setTimeout(r, 10));
  await watch.stop();
  return { tookOver: takeOver.mock.calls.length, asked };
}

test('a watch takes over once, after the wait, when the witness agrees', async () => {
  const { tookOver, asked } = await watchFor(
    2000,
    () => SILENT,
    () => 'peer-unreachable',
  );
  expect(tookOver).toBe(1);
  expect(asked).toEqual(['peer-unreachable']);
});

test('a watch never takes over while the witness reaches the other site, or cannot be reached', async () => {
  expect(
    (
      await watchFor(
        400,
        () => SILENT,
        () => 'peer-reachable',
      )
    ).tookOver,
  ).toBe(0);
  expect(
    (
      await watchFor(
        400,
        () => SILENT,
        () => 'witness-unreachable',
      )
    ).tookOver,
  ).toBe(0);
});

test('silence broken by one answer starts the wait again', async () => {
  let n = 0;
  // Silent, then one heartbeat every 5 looks (50 ms apart): never 100 ms of silence in a row.
  const { tookOver, asked } = await watchFor(
    600,
    () => (++n % 5 === 0 ? { ...SILENT, api: true } : SILENT),
    () => 'peer-unreachable',
  );
  expect(tookOver).toBe(0);
  expect(asked).toEqual([]);
});

describe('the witness', () => {
  let site: http.Server;
  let witness: http.Server;
  let witnessUrl: string;
  let siteUrl: string;
  beforeAll(async () => {
    site = http.createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404).end());
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    // Site b is a port nothing listens on (the site's own, just closed).
    const gone = http.createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const goneUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
    await new Promise((r) => gone.close(r));
    witness = createWitness(parseWitnessSites(`a=${siteUrl},b=${goneUrl}/`));
    await new Promise<void>((r) => witness.listen(0, '127.0.0.1', r));
    witnessUrl = `http://127.0.0.1:${(witness.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => site.close(r));
    await new Promise((r) => witness.close(r));
  });

  test('says whether it reaches each site it knows, and nothing of others', async () => {
    expect(await askWitness(witnessUrl, 'a')).toBe('peer-reachable');
    expect(await askWitness(witnessUrl, 'b')).toBe('peer-unreachable');
    // A site it was not told of is no vote: it cannot be made to probe anything else.
    expect(await askWitness(witnessUrl, 'c')).toBe('witness-unreachable');
    expect((await fetch(`${witnessUrl}/sites/..%2f`)).status).toBe(404);
  });

  test('a witness that does not answer is no vote', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    expect(await askWitness(url, 'b')).toBe('witness-unreachable');
  });

  test('its site list is checked', () => {
    expect(() => parseWitnessSites('')).toThrow(/no site/);
    expect(() => parseWitnessSites('A=http://x')).toThrow(/bad site/);
    expect(() => parseWitnessSites('a=not a url')).toThrow();
    expect([...parseWitnessSites(' a=http://h:1/ , b=http://k:2 ')]).toEqual([
      ['a', 'http://h:1'],
      ['b', 'http://k:2'],
    ]);
  });
});
