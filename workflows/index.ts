// Every workflow the worker registers; one workflow per file.
export { CallWorkflow } from './call';
export { FlowCallWorkflow } from './flow-call';
export { AcdWorkflow } from './acd';
export { CallbackWorkflow } from './callback';
export { CampaignWorkflow } from './campaign';
export { CampaignAttemptWorkflow } from './campaign-attempt';
export { TicketWorkflow } from './ticket';
export { WebhookDeliveryWorkflow } from './webhook-delivery';
export { CampaignScheduleWorkflow } from './campaign-schedule';
export { MonitorSessionWorkflow } from './monitor-session';
