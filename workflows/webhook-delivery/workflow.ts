import { ActivityFailure, ApplicationFailure, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import type { WebhookActivities } from '../../activities/webhooks';
import type { WebhookDeliveryInput, WebhookDeliveryResult } from './contract';

const FINAL = {
  WebhookRejected: 'rejected',
  WebhookAddressRefused: 'refused',
  WebhookGone: 'gone',
} as const;

/**
 * Delivers one event to one webhook. The retrying is Temporal's activity retry: exponential backoff,
 * no attempt limit, for up to 24 h, surviving worker restarts (the server keeps the timer). The receiver
 * answering 4xx (but 408/429), a refused address or a deleted webhook end it early. Every attempt is
 * recorded by the activity; the result here says how it ended.
 */
export async function WebhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  const {
    initialIntervalMs = 10_000,
    maximumIntervalMs = 3_600_000,
    giveUpAfterMs = 86_400_000,
  } = input.retry ?? {};
  const { deliverWebhook } = proxyActivities<WebhookActivities>({
    // The request's own timeout is 10 s; the rest is the database writes.
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: giveUpAfterMs,
    retry: {
      initialInterval: initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: Math.max(maximumIntervalMs, initialIntervalMs),
      // No maximumAttempts: unlimited, bounded by scheduleToCloseTimeout instead.
      nonRetryableErrorTypes: Object.keys(FINAL),
    },
  });
  try {
    const { attempt, responseCode } = await deliverWebhook({
      webhookId: input.webhookId,
      event: input.event,
    });
    return { delivered: true, attempts: attempt, responseCode };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && cause.type && cause.type in FINAL)
      return { delivered: false, reason: FINAL[cause.type as keyof typeof FINAL], message: cause.message };
    if (cause instanceof TimeoutFailure)
      return { delivered: false, reason: 'expired', message: `not delivered within ${giveUpAfterMs} ms` };
    throw err;
  }
}
