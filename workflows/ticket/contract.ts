/** What the gateway, the UI and TicketWorkflow agree on. Safe to import anywhere. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { TicketFields, TicketPolicy, TicketSnapshot, TicketStatus } from '../../domain/ticket/model';

export interface TicketInput {
  ticketId: string;
  tenantId: string;
  fields: TicketFields;
  policy: TicketPolicy;
  createdAt: string;
  createdBy: string;
  /** Carried over continue-as-new. */
  snapshot?: TicketSnapshot;
}

export type TicketChange =
  | { kind: 'status'; status: TicketStatus }
  | { kind: 'comment'; body: string; public: boolean }
  | { kind: 'assign'; assignee: string | null }
  | {
      kind: 'fields';
      fields: Partial<
        Pick<TicketFields, 'subject' | 'description' | 'priority' | 'queue' | 'tags' | 'custom'>
      >;
    }
  | { kind: 'link'; call?: string; recording?: string };

/** What a change answers: its new version (read the ticket with `ticketQuery`). */
export interface TicketChangeAck {
  ticketId: string;
  version: number;
}

/** Tickets started before comment bodies moved out of the workflow answered with the whole snapshot. */
export const ticketChangeUpdate = defineUpdate<
  TicketChangeAck | TicketSnapshot,
  [{ change: TicketChange; by: string }]
>('change');
export const ticketQuery = defineQuery<TicketSnapshot>('ticket');

export const ticketWorkflowId = (ticketId: string): string => `ticket-${ticketId}`;
