import { MockActivityEnvironment } from '@temporalio/testing';
import { dialAgentThenCustomer, type AgentFirstParams } from '../../activities/callback-dial';
import { FakeChannelEvents, recordingAri } from '../support/fakes';

/**
 * A retried callback attempt (the worker died mid-attempt) carries on from what the event stream says its
 * first try did: the customer is never dialed twice, answered legs are joined, and a conversation that
 * ended while the worker was down is reported with its real talk time.
 */
const params: AgentFirstParams = {
  fromSeq: 1,
  agent: { endpoint: 'PJSIP/alice', legId: 'cb-1-agent', ringSeconds: 2 },
  customer: { number: '15550100', legId: 'cb-1-customer', ringSeconds: 2 },
  bridgeId: 'cb-1-bridge',
};
const channel = (id: string) => ({ id, name: id, state: 'Up' }) as never;
const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000).toISOString();

function setup() {
  const events = new FakeChannelEvents();
  const { ari, commands } = recordingAri();
  const deps = { ari, events, app: 'cticloud-test', outboundDial: 'PJSIP/{number}@trunk', node: 'ast1' };
  const run = () => new MockActivityEnvironment().run(dialAgentThenCustomer, deps, params, true);
  return { events, commands, run };
}

test('a conversation that ended while the worker was down is reported answered with its talk time', async () => {
  const { events, commands, run } = setup();
  events.push('StasisStart', { channel: channel(params.agent.legId), timestamp: at(60) });
  events.push('StasisStart', { channel: channel(params.customer.legId), timestamp: at(50) });
  events.push('ChannelDestroyed', { channel: channel(params.customer.legId), timestamp: at(8), cause: 16 });
  const result = await run();
  expect(result).toEqual({ agent: 'answered', customer: 'answered', talkSeconds: 42 });
  expect(commands.filter((c) => c.startsWith('originate'))).toEqual([]);
});

test('legs both answered but never joined are bridged now, without a second dial', async () => {
  const { events, commands, run } = setup();
  events.push('StasisStart', { channel: channel(params.agent.legId) });
  events.push('StasisStart', { channel: channel(params.customer.legId) });
  const result = run();
  await new Promise((r) => setTimeout(r, 1300));
  expect(commands).toContain(`addToBridge ${params.bridgeId}`);
  events.push('ChannelDestroyed', { channel: channel(params.agent.legId), cause: 16 });
  await expect(result).resolves.toMatchObject({ agent: 'answered', customer: 'answered' });
  expect(commands.filter((c) => c.startsWith('originate'))).toEqual([]);
});

test('a customer already ringing is waited for, not dialed again', async () => {
  const { events, commands, run } = setup();
  events.push('StasisStart', { channel: channel(params.agent.legId) });
  events.push('ChannelCreated', { channel: channel(params.customer.legId) });
  const result = run();
  await new Promise((r) => setTimeout(r, 1300));
  events.push('ChannelDestroyed', { channel: channel(params.customer.legId), cause: 17 });
  await expect(result).resolves.toMatchObject({ agent: 'answered', customer: 'busy' });
  expect(commands.filter((c) => c.startsWith('originate'))).toEqual([]);
});

test('a first try that died before dialing dials the agent, then the customer, once each', async () => {
  const { events, commands, run } = setup();
  const result = run();
  await new Promise((r) => setTimeout(r, 1300));
  events.push('StasisStart', { channel: channel(params.agent.legId) });
  await new Promise((r) => setTimeout(r, 100));
  events.push('StasisStart', { channel: channel(params.customer.legId) });
  await new Promise((r) => setTimeout(r, 100));
  events.push('ChannelDestroyed', { channel: channel(params.customer.legId), cause: 16 });
  await expect(result).resolves.toMatchObject({ agent: 'answered', customer: 'answered' });
  expect(commands.filter((c) => c.startsWith('originate'))).toEqual([
    `originate ${params.agent.legId}`,
    `originate ${params.customer.legId}`,
  ]);
});
