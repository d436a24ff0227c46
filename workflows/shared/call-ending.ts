import { CancellationScope, isCancellation, patched, sleep } from '@temporalio/workflow';
import { ariCommand, persistence } from './activity-profiles';
import { Disposition, type CallStatus } from '../call/contract';
import { isChannelGone, isNodeLost } from './failures';

/**
 * How a call's script ended, recorded on its status: its Asterisk was declared lost (the system ended it),
 * the caller left (channel gone, or `callerLeft` says so), the hangup signal cancelled it, or something
 * failed. A lost node's failure exists only since it was introduced, so replays of older calls take the
 * branches they took.
 */
export function noteEnding(status: CallStatus, err: unknown, callerLeft = (_e: unknown) => false): void {
  if (isNodeLost(err)) status.endedBy ??= 'system';
  else if (callerLeft(err) || isChannelGone(err)) status.endedBy ??= 'caller';
  else if (!isCancellation(err)) {
    status.disposition = Disposition.Failed;
    status.endedBy ??= 'system';
  }
}

/**
 * The end every call shares: settle who ended it and its disposition, hang up a failed call (best effort:
 * the channel may be gone), and write the CDR even if the workflow is being cancelled.
 */
export async function finishCall(
  status: CallStatus,
  channel: { channelId: string; node: string },
): Promise<void> {
  status.endedBy ??= 'caller';
  status.endedAt ??= new Date().toISOString();
  status.disposition ??= status.answeredAt ? Disposition.Answered : Disposition.Abandoned;
  await CancellationScope.nonCancellable(async () => {
    if (status.disposition === Disposition.Failed) await ariCommand.hangup(channel).catch(() => undefined);
    await persistence.recordCdr({ ...status, node: channel.node });
  });
}

/** Patch: a caller's hangup no longer cancels the activity under way at once. */
export const HANGUP_GRACE_PATCH = 'caller-input-at-hangup';
/** How long the activity under way has to report what the caller did once they hung up. @default 3000 */
export const HANGUP_GRACE_MS = 3000;

/**
 * Ends a call's script when the caller hangs up. The media activity under way sees the channel end in the
 * event stream and returns what the caller did (the digits they pressed, how far a prompt played), so the
 * script is cut only if it has not ended HANGUP_GRACE_MS later: cancelling at once lost input the caller
 * gave just before hanging up (a third of "press 1 2 3, hang up" calls recorded no digits). Calls that
 * started before this behave as they did, for their replays.
 */
export function scriptEnder(script: CancellationScope): { callerHungUp(): void; done(): void } {
  const graceful = patched(HANGUP_GRACE_PATCH);
  const grace = new CancellationScope();
  return {
    callerHungUp() {
      if (!graceful) return script.cancel();
      grace
        .run(() => sleep(HANGUP_GRACE_MS))
        .then(
          () => script.cancel(),
          () => undefined,
        );
    },
    done() {
      if (graceful) grace.cancel();
    },
  };
}
