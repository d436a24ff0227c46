/** What the webhook dispatcher and WebhookDeliveryWorkflow agree on. Safe to import anywhere. */
import type { DeliverWebhookInput } from '../../activities/webhooks';

export interface WebhookRetryPolicy {
  /** Wait before the first retry, in ms; each next wait doubles. @default 10_000 */
  initialIntervalMs?: number;
  /** Longest wait between two attempts, in ms. @default 3_600_000 */
  maximumIntervalMs?: number;
  /** How long delivery is tried in all, in ms. @default 86_400_000 (24 h) */
  giveUpAfterMs?: number;
}

export interface WebhookDeliveryInput extends DeliverWebhookInput {
  retry?: WebhookRetryPolicy;
}

export type WebhookDeliveryResult =
  | { delivered: true; attempts: number; responseCode: number }
  | { delivered: false; reason: 'rejected' | 'refused' | 'gone' | 'expired'; message: string };

/** The webhook workflow's id: one per (webhook, event), so a redelivered event starts nothing twice. */
export const webhookDeliveryWorkflowId = (webhookId: string, eventId: string): string =>
  `webhook-${webhookId}-${eventId}`;
