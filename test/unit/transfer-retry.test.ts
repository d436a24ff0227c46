import { MockActivityEnvironment } from '@temporalio/testing';
import { createCallControlActivities } from '../../activities/call-control';
import { FakeChannelEvents, recordingAri } from '../support/fakes';

/**
 * A blind transfer retried after a dead worker (a deploy) resumes its first try's leg from the event
 * stream: the third party is not dialed again and the talking leg is not hung up.
 */
const channel = (id: string) => ({ id, name: id, state: 'Up' }) as never;

test('a retried transfer finds the talking leg of its first try and waits for the conversation to end', async () => {
  const events = new FakeChannelEvents();
  const { ari, commands } = recordingAri();
  const activities = createCallControlActivities({
    ari,
    events,
    app: 'cticloud-test',
    outboundDial: 'PJSIP/{number}@trunk',
    node: 'ast1',
  });
  const env = new MockActivityEnvironment({ attempt: 2 });
  const info = env.context.info;
  const legId = `${info.workflowExecution!.runId}-${info.activityId}-leg`;
  events.push('StasisStart', { channel: channel(legId) });
  const result = env.run(activities.transfer, {
    channelId: 'caller-1',
    node: 'ast1',
    fromSeq: 1,
    to: { kind: 'number', number: '15550100' },
    callerId: '+15550000',
    ringSeconds: 5,
  } as never);
  await new Promise((r) => setTimeout(r, 500));
  expect(commands.filter((c) => c.startsWith('originate') || c === `hangup ${legId}`)).toEqual([]);
  events.push('ChannelDestroyed', { channel: channel(legId), cause: 16 });
  await expect(result).resolves.toMatchObject({ outcome: 'completed' });
  expect(commands.filter((c) => c.startsWith('originate'))).toEqual([]);
});
