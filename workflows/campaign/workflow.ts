import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  sleep,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { acd, attemptLauncher, campaignData } from '../shared/activity-profiles';
import { publish } from '../shared/domain-events';
import { CallSearchAttributes } from '../call/contract';
import {
  attemptDoneSignal,
  campaignControlUpdate,
  campaignProgressQuery,
  initialProgress,
  type CampaignPlan,
  type CampaignProgress,
} from './contract';
import { attemptWakeSignal, attemptWorkflowId, type AttemptResult } from '../campaign-attempt/contract';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { AttemptLaunch } from '../../activities/campaign-launch';

/** Attempts started per run before continuing as new: the history stays bounded for any list size. */
const ATTEMPTS_PER_RUN = 300;
const ABANDON_WINDOW_MS = 5 * 60_000;
/**
 * Attempts are launched ahead of time, each with its slot to dial at, which its dial activity waits for in
 * real time. Durable timers fire about a second late when short, and awaiting each child's start costs a
 * workflow task; launching a second's worth at once, spaced by their slots, keeps the configured rate.
 * A slot is never sooner than the lead: it covers an attempt's own work before it dials (its first task,
 * the do-not-call check), so the slot is still ahead when the attempt gets there. After a gap (the start,
 * a pause, a stall) the first slot gets the full lead; while launching goes on, a slot already given is
 * kept if it is at least the short lead away, so a late wake-up costs no calls. Launched attempts whose
 * slot comes after a pause or a stop are not dialed: they check the campaign's stored state first.
 */
const DIAL_LEAD_MS = 1000;
const SHORT_DIAL_LEAD_MS = 250;
/**
 * Attempts are launched up to this far ahead of their slot; the workflow wakes when half of it is left, so
 * a timer that fires most of a second late still finds slots ahead and the pace loses nothing.
 */
const LAUNCH_WINDOW_MS = 2000;
/**
 * Campaigns from this release adopt an attempt that is already running instead of failing on it: after a
 * forced failover the start recorded by the lost branch is issued again (Temporal issue #10286) while the
 * attempt it started was replicated. A closed attempt's id may run again (a released attempt keeps its
 * number), so only a running one is found.
 */
const ADOPT_ATTEMPTS_PATCH = 'campaign-adopts-started-attempts';
/**
 * Campaigns from this release start attempts in batches from an activity, not as children: one event of
 * the campaign's per attempt (its report) instead of three, and no parent–child link for a failover to
 * break (docs/benchmarks.md, "What limits a campaign's rate").
 */
const LAUNCH_BY_ACTIVITY_PATCH = 'campaign-launches-by-activity';

/** What a run hands the next one. */
export interface CampaignCarry {
  progress: CampaignProgress;
  inFlight: string[];
  launches: number[];
  outcomes: { at: number; abandoned: boolean }[];
}

/**
 * An outbound campaign: claims due contacts from PostgreSQL and starts one CampaignAttemptWorkflow per
 * dial, never above the configured rate or concurrent calls (for agent campaigns, available agents times
 * the ratio; predictive lowers the ratio while the abandon rate is over its cap). Attempts report back by
 * signal, so the campaign continues as new without waiting for calls in progress. Pause stops launching at
 * once; stop also cancels attempts whose call is not answered yet, so no call is placed after it.
 */
export async function CampaignWorkflow(input: {
  plan: CampaignPlan;
  carry?: CampaignCarry;
}): Promise<CampaignProgress> {
  const { plan } = input;
  const progress: CampaignProgress = input.carry?.progress ?? initialProgress(plan, new Date().toISOString());
  const inFlight = new Set(input.carry?.inFlight ?? []);
  let launches = input.carry?.launches ?? [];
  let outcomes = input.carry?.outcomes ?? [];
  let launchedThisRun = 0;
  let wake = false;

  const refresh = () => {
    const now = Date.now();
    launches = launches.filter((t) => t > now - 60_000);
    outcomes = outcomes.filter((o) => o.at > now - ABANDON_WINDOW_MS);
    progress.inFlight = inFlight.size;
    progress.pace = Math.round((launches.length / 60) * 100) / 100;
    progress.abandonRate = outcomes.length
      ? outcomes.filter((o) => o.abandoned).length / outcomes.length
      : null;
  };
  setHandler(campaignProgressQuery, () => {
    refresh();
    return { ...progress };
  });
  const countDone = ({ disposition, released }: AttemptResult) => {
    if (released) {
      // Not dialed (paused or stopped before its slot): as if it had never been launched.
      progress.launched--;
      launches.pop();
      return;
    }
    progress.finished++;
    progress.byDisposition[disposition] = (progress.byDisposition[disposition] ?? 0) + 1;
    if (disposition === 'answered' || disposition === 'abandoned') {
      outcomes.push({ at: Date.now(), abandoned: disposition === 'abandoned' });
    }
  };
  setHandler(attemptDoneSignal, (result) => {
    if (!inFlight.delete(result.attemptId)) return;
    wake = true;
    countDone(result);
  });
  /**
   * An attempt this run meant to start is running already: it stays in flight (it reports by signal) and
   * is woken, in case it never got the first workflow task the server creates once the parent recorded it.
   */
  const adopt = (id: string): Promise<void> =>
    getExternalWorkflowHandle(id)
      .signal(attemptWakeSignal)
      .catch(() => undefined); // it ended meanwhile: its report comes by signal

  setHandler(
    campaignControlUpdate,
    async ({ action }) => {
      progress.state = action === 'pause' ? 'paused' : action === 'resume' ? 'running' : 'stopped';
      wake = true;
      // The stored state first: attempts waiting for their slot check it just before dialing.
      const stateFirst = patched('campaign-state-first');
      if (stateFirst)
        await campaignData.setCampaignState({ campaignId: plan.campaignId, state: progress.state });
      if (action === 'stop') {
        // Calls not yet answered are cancelled: nothing is dialed after the stop.
        await Promise.all(
          [...inFlight].map((id) =>
            getExternalWorkflowHandle(id)
              .cancel()
              .catch(() => undefined),
          ),
        );
      }
      if (!stateFirst)
        await campaignData.setCampaignState({ campaignId: plan.campaignId, state: progress.state });
      void tell();
      refresh();
      return { ...progress };
    },
    {
      validator: ({ action }: { action: 'pause' | 'resume' | 'stop' }) => {
        const allowed = { pause: ['running'], resume: ['paused'], stop: ['running', 'paused'] }[action];
        if (!allowed.includes(progress.state)) {
          throw ApplicationFailure.create({
            type: 'InvalidCampaignTransition',
            message: `a ${progress.state} campaign cannot ${action}`,
            nonRetryable: true,
          });
        }
      },
    },
  );

  let toldFinished = progress.finished;
  const tell = () => {
    refresh();
    toldFinished = progress.finished;
    const {
      campaignId,
      state,
      launched,
      finished,
      inFlight: running,
      byDisposition,
      pace,
      abandonRate,
    } = progress;
    return publish('campaign.progress', plan.tenantId, {
      campaignId,
      state,
      launched,
      finished,
      inFlight: running,
      byDisposition: byDisposition as Record<string, number>,
      pace,
      abandonRate,
    });
  };
  if (!input.carry) void tell();

  let nextLaunchAt = 0;
  const spacingMs = 1000 / plan.pacing.callsPerSecond;
  for (;;) {
    if (progress.state === 'stopped') break;
    if (progress.state === 'paused') {
      await condition(() => progress.state !== 'paused');
      continue;
    }
    refresh();
    // Progress as an event every 25 finished attempts, not every one: a big campaign would flood webhooks.
    if (progress.finished - toldFinished >= 25) void tell();
    let capacity = plan.pacing.maxConcurrent - inFlight.size;
    if (plan.target.kind === 'queue') {
      if (plan.mode === 'predictive' && progress.abandonRate !== null && outcomes.length >= 10) {
        // Over the cap: fewer calls per agent; well under it: back toward the configured ratio.
        if (progress.abandonRate > plan.pacing.maxAbandonRate)
          progress.ratio = Math.max(1, progress.ratio - 0.25);
        else if (progress.abandonRate < plan.pacing.maxAbandonRate / 2) {
          progress.ratio = Math.min(plan.pacing.ratio, progress.ratio + 0.1);
        }
      }
      const agents = await acd.availableAgents({ tenantId: plan.tenantId, queueId: plan.target.queueId });
      const ratio = plan.mode === 'progressive' || plan.mode === 'predictive' ? progress.ratio : 1;
      capacity = Math.min(capacity, Math.floor(agents * ratio) - inFlight.size);
    }
    if (capacity <= 0) {
      wake = false;
      // Agent campaigns look at the agents again each second; others wait for an attempt to finish.
      if (plan.target.kind === 'queue') await condition(() => wake, 1000);
      else await condition(() => wake);
      continue;
    }
    const token = uuid4();
    const claimed = await campaignData.claimContacts({
      campaignId: plan.campaignId,
      limit: Math.min(capacity, 50, Math.max(1, Math.ceil(plan.pacing.callsPerSecond * 2))),
      token,
    });
    if (!claimed.contacts.length) {
      if (claimed.open === 0 && inFlight.size === 0) {
        progress.state = 'completed';
        await campaignData.setCampaignState({ campaignId: plan.campaignId, state: 'completed' });
        break;
      }
      const until = claimed.nextDueAt ? Date.parse(claimed.nextDueAt) - Date.now() : 5000;
      wake = false;
      await condition(() => wake || progress.state !== 'running', Math.min(Math.max(until, 200), 30_000));
      continue;
    }
    const unlaunched = claimed.contacts.map((c) => c.id);
    const slotted = patched('campaign-slots');
    const byActivity = slotted && patched(LAUNCH_BY_ACTIVITY_PATCH);
    let starting: Promise<unknown>[] = [];
    let batch: AttemptLaunch[] = [];
    /** The batch's attempts started, in one activity. */
    const launchBatch = async () => {
      if (!batch.length) return;
      const launches = batch;
      batch = [];
      await attemptLauncher.startAttempts({ plan, launches });
    };
    for (const contact of claimed.contacts) {
      let notBefore: string | undefined;
      if (slotted) {
        if (nextLaunchAt - Date.now() > LAUNCH_WINDOW_MS) {
          await Promise.all(starting);
          starting = [];
          await launchBatch();
          // Read after the launch: a retried one can take longer than the half window left.
          const wait = nextLaunchAt - Date.now() - LAUNCH_WINDOW_MS / 2;
          if (wait > 0) await sleep(wait);
        }
        if (progress.state !== 'running') break;
        if (nextLaunchAt < Date.now() + SHORT_DIAL_LEAD_MS) nextLaunchAt = Date.now() + DIAL_LEAD_MS;
        notBefore = new Date(nextLaunchAt).toISOString();
      } else {
        const waitMs = nextLaunchAt - Date.now();
        if (waitMs > 0) await sleep(waitMs);
        if (progress.state !== 'running') break;
      }
      const id = attemptWorkflowId(plan.campaignId, contact.id, contact.attempt);
      if (byActivity) {
        batch.push({ contact, ...(notBefore ? { notBefore } : {}) });
        unlaunched.shift();
        inFlight.add(id);
        launches.push(nextLaunchAt);
        nextLaunchAt += spacingMs;
        progress.launched++;
        launchedThisRun++;
        continue;
      }
      const started = startChild('CampaignAttemptWorkflow', {
        workflowId: id,
        args: [{ plan, contact, ...(notBefore ? { notBefore } : {}) }],
        // Attempts report by signal and outlive this run, which continues as new without waiting.
        parentClosePolicy: 'ABANDON',
        typedSearchAttributes: [
          { key: CallSearchAttributes.tenant, value: plan.tenantId },
          { key: CallSearchAttributes.dialed, value: contact.phone },
        ],
      }).catch((err: unknown) => {
        if (err instanceof WorkflowExecutionAlreadyStartedError && patched(ADOPT_ATTEMPTS_PATCH))
          return adopt(id);
        throw err;
      });
      if (slotted) starting.push(started);
      else await started;
      unlaunched.shift();
      inFlight.add(id);
      launches.push(slotted ? nextLaunchAt : Date.now());
      nextLaunchAt = Math.max(slotted ? nextLaunchAt : Date.now(), nextLaunchAt) + spacingMs;
      progress.launched++;
      launchedThisRun++;
    }
    await Promise.all(starting);
    await launchBatch();
    await campaignData.releaseContacts({ ids: unlaunched });

    if (launchedThisRun >= ATTEMPTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      refresh();
      return continueAsNew<typeof CampaignWorkflow>({
        plan,
        carry: { progress, inFlight: [...inFlight], launches, outcomes },
      });
    }
  }
  // Stopped or completed: the attempts still running report in; wait for them so the counts are final.
  await condition(() => inFlight.size === 0, '10 minutes');
  // The stop request itself is still answering: it must finish before the workflow does.
  await condition(allHandlersFinished);
  await tell();
  return { ...progress };
}
