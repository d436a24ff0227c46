import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { connect } from 'nats';
import { ARI_STREAM } from '../../asterisk/ari-events';
import path from 'node:path';
import type { CallStatus } from '../../workflows/call/contract';
import { callEventsSince } from '../support/ari-log';
import { placeCall } from '../support/caller';
import { audioStats, hostPath, waitForFile } from '../support/media';
import { callWorkflow, startStack, type TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});

/** Activities in the order the workflow ran them; local ones are recorded as markers. */
const activityTypes = (history: { events?: any[] | null }) =>
  (history.events ?? [])
    .map((e) => {
      const marker = e.markerRecordedEventAttributes;
      if (marker?.markerName === 'core_local_activity') {
        const data = JSON.parse(Buffer.from(marker.details.data.payloads[0].data).toString());
        return `local:${data.activity_type}`;
      }
      return e.activityTaskScheduledEventAttributes?.activityType?.name;
    })
    .filter(Boolean);

/** Publishes the call's StasisStart to the ARI stream once more, as a redelivery would bring it. */
async function deliverStasisStartAgain(handle: WorkflowHandle, msgID: string): Promise<void> {
  const input = (await handle.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!.input!;
  const { eventSeq } = JSON.parse(Buffer.from(input.payloads![0]!.data!).toString());
  const nc = await connect({ servers: stack.config.NATS_URL });
  try {
    const original = await (await nc.jetstreamManager()).streams.getMessage(ARI_STREAM, { seq: eventSeq });
    await nc.jetstream().publish(original.subject, original.data, { msgID });
  } finally {
    await nc.close();
  }
}

/** The runs Temporal has under one workflow id. */
async function runsOf(workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const wf of stack.temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs.push(wf.runId);
  }
  return runs;
}

describe('an inbound call on the real stack', () => {
  test('collects the DTMF the caller sends, reads it back, hangs up and writes the CDR', async () => {
    const testStart = new Date(Date.now() - 1000);
    const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
      from: '5550111',
      to: '5551000',
      digits: '27#',
      delaySec: 1,
    });
    const handle = await callWorkflow(stack.temporal, call.workflowId);
    const result = (await handle.result()) as CallStatus;

    expect(result).toMatchObject({
      digits: '27',
      collectEndedBy: 'terminator',
      disposition: 'answered',
      endedBy: 'system',
      from: '5550111',
      to: '5551000',
    });
    const history = await handle.fetchHistory();
    // The call's own work, in order. Its events ride on it (events-ride-activities): started and answered
    // go out with the digit collection, and only the last (ended, after the CDR) needs an activity of its own.
    const types = activityTypes(history);
    // The router answered on StasisStart (the workflow's input says when): no answer activity in the call.
    expect(types).toEqual(['collectDigits', 'playMedia', 'hangup', 'recordCdr', 'emitEvents']);
    const events = await callEventsSince(stack, testStart, call.workflowId);
    expect(events.map((e) => e.type)).toEqual(['call.started', 'call.answered', 'call.ended']);
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data!;
    const { answeredAt } = JSON.parse(Buffer.from(started).toString()) as { answeredAt?: string };
    expect(answeredAt).toBe(result.answeredAt);
    expect(Date.parse(answeredAt!)).toBeGreaterThanOrEqual(Date.parse(result.startedAt));

    // Replaying the real history with today's workflow code must not diverge.
    await Worker.runReplayHistory(
      { workflowsPath: path.resolve(__dirname, '../../workflows') },
      history,
      call.workflowId,
    );

    const detail = await stack.api(`/v1/calls/${call.workflowId}`);
    expect(detail.status).toBe(200);
    expect(detail.body.cdr).toMatchObject({
      from: '5550111',
      to: '5551000',
      digits: '27',
      disposition: 'answered',
    });
    expect(detail.body.cdr.durationMs).toBeGreaterThan(1000);
    expect(detail.body.live.state).toBe('ended');

    const listed = await stack.api('/v1/calls?from=5550111&status=recent');
    expect(listed.body.calls.map((c: { id: string }) => c.id)).toContain(call.workflowId);

    // The caller really heard the prompt and the read-back: several seconds of non-silent audio.
    await waitForFile(hostPath(call.recording));
    const heard = await audioStats(hostPath(call.recording));
    expect(heard.seconds).toBeGreaterThan(3);
    expect(heard.rms).toBeGreaterThan(0.01);
  });

  test('a caller who hangs up while being prompted ends the call cleanly with a CDR that says so', async () => {
    const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
      from: '5550112',
      holdSec: 0.5,
      delaySec: 0,
    });
    const handle = await callWorkflow(stack.temporal, call.workflowId);
    const result = (await handle.result()) as CallStatus;
    expect(result).toMatchObject({ endedBy: 'caller', disposition: 'answered', digits: '' });

    const { rows } = await stack.pool.query('select ended_by, disposition from cdrs where workflow_id = $1', [
      call.workflowId,
    ]);
    expect(rows).toEqual([{ ended_by: 'caller', disposition: 'answered' }]);
  });

  test('a StasisStart delivered again after the call ended starts nothing and leaves the CDR alone', async () => {
    const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
      from: '5550114',
      digits: '8#',
    });
    const handle = await callWorkflow(stack.temporal, call.workflowId);
    await handle.result();

    await deliverStasisStartAgain(handle, `redelivered-${call.id}`);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await runsOf(call.workflowId)).toHaveLength(1);
    const { rows } = await stack.pool.query('select digits, disposition from cdrs where workflow_id = $1', [
      call.workflowId,
    ]);
    expect(rows).toEqual([{ digits: '8', disposition: 'answered' }]);
  });

  test('a StasisStart delivered again while the call is live answers an Up channel harmlessly', async () => {
    const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
      from: '5550115',
      digits: '46#',
      delaySec: 3,
    });
    const handle = await callWorkflow(stack.temporal, call.workflowId);
    await deliverStasisStartAgain(handle, `live-again-${call.id}`);
    // The router answers the (Up) channel again and is refused the start; the call goes on as if nothing
    // happened: the digits still arrive, one run, one CDR.
    expect(await handle.result()).toMatchObject({ digits: '46', disposition: 'answered', endedBy: 'system' });
    expect(await runsOf(call.workflowId)).toHaveLength(1);
    const { rows } = await stack.pool.query('select digits from cdrs where workflow_id = $1', [
      call.workflowId,
    ]);
    expect(rows).toEqual([{ digits: '46' }]);
    expect(stack.worker.log).not.toMatch(/router could not answer|routing an ARI event failed/);
  });

  test('the call is visible while it is live, with its state from the workflow query', async () => {
    const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
      from: '5550113',
      digits: '9',
      delaySec: 4,
    });
    let live: any;
    for (let i = 0; i < 100 && !live; i++) {
      const res = await stack.api(`/v1/calls/${call.workflowId}`);
      if (res.status === 200 && res.body.status === 'running' && res.body.live.state === 'collecting')
        live = res.body;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(live.live).toMatchObject({ from: '5550113', state: 'collecting' });
    const active = await stack.api('/v1/calls?status=active&from=5550113');
    expect(active.body.calls).toEqual([expect.objectContaining({ id: call.workflowId, status: 'running' })]);
    await stack.ari.hangup(call.callerChannelId);
    await (await callWorkflow(stack.temporal, call.workflowId)).result();
  });
});

test('every call of this file replays deterministically from its history', async () => {
  const { replayed, failures } = await stack.replayCalls();
  expect(failures).toEqual([]);
  expect(replayed).toBeGreaterThan(0);
}, 60_000);
