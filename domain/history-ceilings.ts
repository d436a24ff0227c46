/**
 * The most events one run of each workflow type may record, by design (Temporal suggests continuing as new
 * before 4,096 and refuses a history at 51,200). docs/architecture.md says where each bound comes from;
 * test/unit/history-ceilings.test.ts drives the ones that grow with traffic, and every integration test's
 * replay check compares each history it saw against its type's ceiling.
 */
export const HISTORY_CEILINGS = {
  /** A fixed script (answer, read digits, play, hang up): ~55 events. */
  CallWorkflow: 300,
  /** At most FLOW_STEP_LIMIT nodes (a few events each), a queue wait among them. */
  FlowCallWorkflow: 4096,
  /** At most 20 attempts, each an offer, a dial and its outcome; missed offers add a few events each. */
  CallbackWorkflow: 4096,
  /** 300 attempts per run (a child start and a report each), then it continues as new. */
  CampaignWorkflow: 4096,
  /** One dial and one flow or queue wait: a flow call's bound. */
  CampaignAttemptWorkflow: 4096,
  /** Starts or signals the campaign: a handful of events. */
  CampaignScheduleWorkflow: 100,
  /** Continues as new at 2,000 events or 1 MB; a change in progress finishes first. */
  TicketWorkflow: 2500,
  /** The routing workflow before routing moved to PostgreSQL: 2,000 events per run, then a hand-off. */
  AcdWorkflow: 4096,
  /** Start, watch, stop: ~40 events. */
  MonitorSessionWorkflow: 200,
  /** Bounded retries with backoff: ~15 events. */
  WebhookDeliveryWorkflow: 500,
  /** Within a call: a day-long wait's announcements (the gap doubles after 20) at ~30 events each. */
  queueWait: 2000,
} as const;

/** Nodes one flow call may run before it is cut (a caller looping in a menu). @default 400 */
export const FLOW_STEP_LIMIT = 400;
