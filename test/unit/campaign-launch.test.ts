/**
 * A campaign's attempts started in a batch from an activity (activities/campaign-launch.ts): each once,
 * also when the activity runs again after its first try started some of them and they have ended. The
 * campaign using it on the real stack is in test/integration/campaigns.test.ts.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAttemptLauncher } from '../../activities/campaign-launch';
import type { ClaimedContact } from '../../workflows/campaign/contract';
import { campaignPlan } from '../support/campaign-plan';
import { attemptWorkflowId } from '../../workflows/campaign-attempt/contract';

const plan = campaignPlan({ campaignId: 'k1' });
const contact = (id: string): ClaimedContact => ({
  id,
  phone: `555${id}`,
  timeZone: 'UTC',
  fields: {},
  attempt: 1,
});
const SCHEDULED = Date.parse('2026-12-07T06:00:00Z');

/** A client whose workflows are the `runs` given (id → start time); `start` records and refuses running ones. */
function fakeClient(runs: Map<string, { startTime: Date; running: boolean }>) {
  const started: string[] = [];
  const client = {
    workflow: {
      start: async (_type: string, options: { workflowId: string; args: unknown[] }) => {
        if (runs.get(options.workflowId)?.running)
          throw new WorkflowExecutionAlreadyStartedError(
            'running',
            options.workflowId,
            'CampaignAttemptWorkflow',
          );
        started.push(options.workflowId);
        runs.set(options.workflowId, { startTime: new Date(), running: true });
      },
      getHandle: (id: string) => ({
        describe: async () => {
          const run = runs.get(id);
          if (!run) throw new Error('not found');
          return run;
        },
      }),
    },
  } as unknown as Client;
  return { client, started };
}

test('the first try starts every attempt; one running already is left to run', async () => {
  const id = (c: string) => attemptWorkflowId(plan.campaignId, c, 1);
  const runs = new Map([[id('b'), { startTime: new Date(SCHEDULED + 10), running: true }]]);
  const { client, started } = fakeClient(runs);
  const { startAttempts } = createAttemptLauncher({ client, taskQueue: 'calls' });
  await new MockActivityEnvironment({ attempt: 1, scheduledTimestampMs: SCHEDULED }).run(startAttempts, {
    plan,
    launches: [{ contact: contact('a') }, { contact: contact('b') }],
  });
  expect(started).toEqual([id('a')]);
});

test('a retry does not start again what its first try started, even once it ended; an older run of the id is no bar', async () => {
  const id = (c: string) => attemptWorkflowId(plan.campaignId, c, 1);
  const runs = new Map([
    // Started by the first try and already over (a busy number).
    [id('a'), { startTime: new Date(SCHEDULED + 50), running: false }],
    // An earlier launch of the same attempt, released unanswered before this batch was scheduled.
    [id('b'), { startTime: new Date(SCHEDULED - 60_000), running: false }],
  ]);
  const { client, started } = fakeClient(runs);
  const { startAttempts } = createAttemptLauncher({ client, taskQueue: 'calls' });
  await new MockActivityEnvironment({ attempt: 2, scheduledTimestampMs: SCHEDULED }).run(startAttempts, {
    plan,
    launches: [{ contact: contact('a') }, { contact: contact('b') }, { contact: contact('c') }],
  });
  expect(started.sort()).toEqual([id('b'), id('c')]);
});
