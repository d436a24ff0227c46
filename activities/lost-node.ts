import { ApplicationFailure } from '@temporalio/common';
import { NODE_LOST_FAILURE } from '../domain/asterisk-nodes';

/** The failure every command for a channel on a lost node ends with: not retried, the channel is gone. */
export function nodeLostFailure(node: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: NODE_LOST_FAILURE,
    message: `Asterisk node ${node} was declared lost: its channels are gone`,
    nonRetryable: true,
  });
}

/**
 * A node's activities as the survivor answers them once that node is declared lost (its site gone for good):
 * each fails with NodeLost, touching nothing. A prompt, a wait or a conversation on the lost Asterisk ends,
 * and the call with it; a dial in flight there counts as a failed attempt whose outcome cannot be known (the
 * customer may have been reached), so a callback's or campaign's own retry rules decide whether to dial
 * again, from a live node. `names` are the activity names a live node's worker registers.
 */
export function createLostNodeActivities(
  node: string,
  names: readonly string[],
): Record<string, () => Promise<never>> {
  return Object.fromEntries(
    names.map((name) => [
      name,
      async () => {
        throw nodeLostFailure(node);
      },
    ]),
  );
}
