import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { AriActivities } from '../activities/ari';
import type { CdrActivities } from '../activities/cdr';
import type { SpeechActivities } from '../activities/speech';

/** Commands to Asterisk: quick, retried briefly; a vanished channel is final (ChannelGone). */
export const ariCommand = proxyActivities<AriActivities>({
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '100 milliseconds', maximumAttempts: 5, nonRetryableErrorTypes: ['ChannelGone'] },
});

/**
 * Answering is on the caller's critical path: as a local activity it runs in the same workflow task,
 * with no round trip to the server to schedule and dispatch it.
 */
export const answerNow = proxyLocalActivities<AriActivities>({
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '100 milliseconds', maximumAttempts: 5, nonRetryableErrorTypes: ['ChannelGone'] },
});

/** Waiting on media (prompts, digits): long, heartbeating so a dead worker is noticed in seconds. */
export const mediaWait = proxyActivities<AriActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '5 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['ChannelGone'],
  },
});

/** Writes to PostgreSQL: retried until the database is back; a CDR must not be lost. */
export const persistence = proxyActivities<CdrActivities>({
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: ['CdrRejected'],
  },
});

/** Making a TTS prompt: seconds at most; an unknown voice fails for good. */
export const speech = proxyActivities<SpeechActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['SpeechRejected'],
  },
});
