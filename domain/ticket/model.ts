/**
 * A ticket as the gateway, the settings and TicketWorkflow see it: statuses and the moves between them,
 * priorities, fields, SLA targets and clocks, the timeline. Plain values only.
 */
import type { Calendar } from '../flow/hours';

export const TicketStatus = {
  New: 'new',
  Open: 'open',
  /** Waiting on the customer: SLA clocks pause. */
  Pending: 'pending',
  OnHold: 'on_hold',
  Solved: 'solved',
  Closed: 'closed',
} as const;
export type TicketStatus = (typeof TicketStatus)[keyof typeof TicketStatus];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof PRIORITIES)[number];

/** Where each status may go. Reopening a solved ticket is allowed within the reopen period only. */
export const TICKET_TRANSITIONS: Record<TicketStatus, readonly TicketStatus[]> = {
  new: ['open', 'pending', 'on_hold', 'solved'],
  open: ['pending', 'on_hold', 'solved'],
  pending: ['open', 'on_hold', 'solved'],
  on_hold: ['open', 'pending', 'solved'],
  solved: ['open', 'closed'],
  closed: [],
};

export interface TicketFields {
  subject: string;
  description: string;
  requester: { number?: string; email?: string; name?: string };
  priority: TicketPriority;
  queue?: string;
  assignee?: string;
  tags: string[];
  custom: Record<string, string>;
  calls: string[];
  recordings: string[];
}

export interface SlaTargets {
  /** Seconds of business time to the first public reply. */
  firstResponseSec: number;
  /** Seconds of business time to solved. */
  resolutionSec: number;
}

/** The tenant's ticket settings when the ticket was made: a ticket keeps the rules it was opened under. */
export interface TicketPolicy {
  calendar?: NonNullable<Calendar>;
  targets: Record<TicketPriority, SlaTargets>;
  /** Share of a target at which the ticket is escalated before it breaches. @default 0.8 */
  nearBreachRatio: number;
  /** Who gets a ticket that breached, if anyone. */
  escalateTo?: string;
  reopenWithinSec: number;
  autoCloseAfterSec: number;
}

export interface SlaClock {
  kind: 'first_response' | 'resolution';
  targetSec: number;
  /** Business seconds counted so far. */
  elapsedSec: number;
  running: boolean;
  /** When it breaches if it keeps running (ISO). */
  breachAt?: string;
  state: 'ok' | 'near_breach' | 'breached' | 'met';
  metAt?: string;
}

export interface TimelineEntry {
  at: string;
  kind: 'created' | 'status' | 'comment' | 'assigned' | 'updated' | 'sla' | 'linked';
  by?: string;
  detail: Record<string, unknown>;
}

export interface TicketSnapshot {
  ticketId: string;
  tenantId: string;
  status: TicketStatus;
  fields: TicketFields;
  createdAt: string;
  updatedAt: string;
  solvedAt?: string;
  closedAt?: string;
  sla: SlaClock[];
  timeline: TimelineEntry[];
  /** Bumped on every change: the projection keeps the newest. */
  version: number;
}
