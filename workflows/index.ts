// Every workflow the worker registers: each in workflows/<name>/workflow.ts, beside its contract.ts.
// The exported names are the workflow types; running workflows and recorded histories depend on them.
export { CallWorkflow } from './call/workflow';
export { FlowCallWorkflow } from './flow-call/workflow';
export { AcdWorkflow } from './acd/workflow';
export { CallbackWorkflow } from './callback/workflow';
export { CampaignWorkflow } from './campaign/workflow';
export { CampaignAttemptWorkflow } from './campaign-attempt/workflow';
export { TicketWorkflow } from './ticket/workflow';
export { WebhookDeliveryWorkflow } from './webhook-delivery/workflow';
export { CampaignScheduleWorkflow } from './campaign-schedule/workflow';
export { MonitorSessionWorkflow } from './monitor-session/workflow';
