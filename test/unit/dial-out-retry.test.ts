import { MockActivityEnvironment } from '@temporalio/testing';
import type { AriCommands } from '../../asterisk/ari-commands';
import { dialOut, type DialOutInput } from '../../activities/dial-out';
import { FakeChannelEvents } from '../support/fakes';

/**
 * A retried dial (the worker died mid-dial) decides from the event stream what its first try did: it never
 * places the call again once the stream shows it placed, even when that call has already ended.
 */
const input: DialOutInput = {
  legId: 'attempt-1-leg',
  number: '+15550100',
  callerId: '+15550000',
  ringSeconds: 2,
  amd: false,
  fromSeq: 1,
};
const channel = (id: string) => ({ id, name: id, state: 'Down' }) as never;

function setup() {
  const events = new FakeChannelEvents();
  const originated: string[] = [];
  const ari = {
    originate: async (p: { channelId: string }) => {
      originated.push(p.channelId);
      return { id: p.channelId };
    },
    hangup: async () => undefined,
  } as unknown as AriCommands;
  const deps = { ari, events, app: 'cticloud-test', outboundDial: 'PJSIP/{number}@trunk', node: 'ast1' };
  return {
    events,
    originated,
    run: (retry: boolean) => new MockActivityEnvironment().run(dialOut, deps, input, retry),
  };
}

test('a first try that was answered and has already ended is reported answered, not dialed again', async () => {
  const { events, originated, run } = setup();
  events.push('ChannelCreated', { channel: channel(input.legId) });
  events.push('StasisStart', { channel: channel(input.legId), args: [] });
  events.push('ChannelDestroyed', { channel: channel(input.legId), cause: 16 });
  await expect(run(true)).resolves.toMatchObject({ outcome: 'answered' });
  expect(originated).toEqual([]);
});

test('a first try that rang busy and ended is reported busy, not dialed again', async () => {
  const { events, originated, run } = setup();
  events.push('ChannelCreated', { channel: channel(input.legId) });
  events.push('ChannelDestroyed', { channel: channel(input.legId), cause: 17 });
  await expect(run(true)).resolves.toMatchObject({ outcome: 'busy' });
  expect(originated).toEqual([]);
});

test('a first try still ringing is followed to its answer without a second dial', async () => {
  const { events, originated, run } = setup();
  events.push('ChannelCreated', { channel: channel(input.legId) });
  const result = run(true);
  await new Promise((r) => setTimeout(r, 1300));
  events.push('StasisStart', { channel: channel(input.legId), args: [] });
  await expect(result).resolves.toMatchObject({ outcome: 'answered' });
  expect(originated).toEqual([]);
});

test('a first try that never dialed dials once', async () => {
  const { events, originated, run } = setup();
  const result = run(true);
  await new Promise((r) => setTimeout(r, 1300));
  events.push('StasisStart', { channel: channel(input.legId), args: [] });
  await expect(result).resolves.toMatchObject({ outcome: 'answered' });
  expect(originated).toEqual([input.legId]);
});
