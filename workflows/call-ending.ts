import { CancellationScope, isCancellation } from '@temporalio/workflow';
import { ariCommand, persistence } from './activity-profiles';
import { Disposition, type CallStatus } from './call-contract';
import { isChannelGone } from './failures';

/**
 * How a call's script ended, recorded on its status: the caller left (channel gone, or `callerLeft` says
 * so), the hangup signal cancelled it, or something failed.
 */
export function noteEnding(status: CallStatus, err: unknown, callerLeft = (_e: unknown) => false): void {
  if (callerLeft(err) || isChannelGone(err)) status.endedBy ??= 'caller';
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
