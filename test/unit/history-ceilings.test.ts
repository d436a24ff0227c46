import { eventCapture } from '../support/event-capture';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import path from 'node:path';
import { CallSearchAttributes } from '../../workflows/call/contract';
import { campaignWorkflowId, type ClaimedContact } from '../../workflows/campaign/contract';
import { campaignPlan } from '../support/campaign-plan';
import { announcementGapSec } from '../../workflows/acd/wait-in-queue';
import { HISTORY_CEILINGS } from '../../domain/history-ceilings';
import { quietTemporalRuntime, temporalBinary } from '../support/temporal';
import { createAttemptLauncher } from '../../activities/campaign-launch';
import { createAttemptReport } from '../../activities/campaign-report';

/**
 * The documented history ceilings (domain/history-ceilings.ts, docs/architecture.md) checked where a
 * workflow's history grows with its traffic: a campaign larger than one run continues as new and no run
 * passes its ceiling; a day-long queue wait's announcements stay within the queue wait's.
 */
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  quietTemporalRuntime();
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary() },
      searchAttributes: Object.values(CallSearchAttributes),
    },
  });
}, 60_000);
afterAll(async () => {
  await env?.teardown();
});

test('a campaign of 330 contacts continues as new after 300 attempts; no run passes its ceiling', async () => {
  const contacts: ClaimedContact[] = Array.from({ length: 330 }, (_, i) => ({
    id: `c${i}`,
    phone: `7${String(i).padStart(6, '0')}`,
    timeZone: 'UTC',
    fields: {},
    attempt: 1,
  }));
  const pending = [...contacts];
  const recorded: string[] = [];
  const capture = eventCapture(() => undefined);
  const recordAttempt = async ({ contactId }: { contactId: string }) => void recorded.push(contactId);
  const activities = {
    claimContacts: async ({ limit }: { limit: number }) => ({
      contacts: pending.splice(0, limit),
      open: pending.length + contacts.length - recorded.length,
    }),
    releaseContacts: async ({ ids }: { ids: string[] }) => {
      pending.unshift(...contacts.filter((c) => ids.includes(c.id)));
    },
    setCampaignState: async () => undefined,
    // Every number is on the do-not-call list: attempts finish without dialing, as fast as they start.
    prepareAttempt: async () => ({ doNotCall: true, node: '', fromSeq: 0 }),
    recordAttempt,
    // The real report: the row (here a list) and the campaign's signal, as a local activity.
    ...createAttemptReport({ recordAttempt, client: env.client }),
    ...capture.activities,
    // The real launcher: attempts are workflows of their own on the test server.
    ...createAttemptLauncher({ client: env.client, taskQueue: 'ceilings' }),
  };
  const taskQueue = 'ceilings';
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: path.resolve(__dirname, '../../workflows'),
    activities,
    interceptors: capture.interceptors,
  });
  const plan = campaignPlan({
    campaignId: `ceiling-${Date.now()}`,
    pacing: { callsPerSecond: 100, maxConcurrent: 50, ratio: 1, maxAbandonRate: 0.03 },
  });
  // Attempts report to the campaign by its id: the workflow must have the id they address.
  const workflowId = campaignWorkflowId(plan.campaignId);
  const progress = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('CampaignWorkflow', {
      taskQueue,
      workflowId,
      args: [{ plan }],
    });
    return handle.result();
  });
  expect(progress).toMatchObject({ state: 'completed', launched: 330, finished: 330 });
  expect(new Set(recorded).size).toBe(330);
  expect(recorded).toHaveLength(330);

  const runs: number[] = [];
  for await (const run of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs.push(run.historyLength);
  }
  expect(runs.length).toBeGreaterThanOrEqual(2);
  expect(Math.max(...runs)).toBeLessThanOrEqual(HISTORY_CEILINGS.CampaignWorkflow);
}, 180_000);

test("a day-long queue wait's announcements stay within the queue wait's ceiling", () => {
  // Announcements every 10 s (the shortest a queue allows) for the longest wait a queue allows.
  let at = 0;
  let made = 0;
  while (at < 86_400) at += announcementGapSec(10, made++);
  const perAnnouncement = 30; // measured: timer, position read, prompt, activity events
  expect(made * perAnnouncement).toBeLessThanOrEqual(HISTORY_CEILINGS.queueWait);
});
