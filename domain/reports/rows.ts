/**
 * The rows of the historical reports (lib/reports, GET /v1/reports): shared by the gateway and the console's
 * Reports page. docs/operations.md, "Reports", defines each figure.
 */
export interface QueueReportRow {
  /** The interval's start, as an instant and as local time in the report's zone. */
  start: string;
  localStart: string;
  queueId: string;
  queueName: string;
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  overflowed: number;
  serviceLevelSec: number;
  answeredWithinServiceLevel: number;
  /** Amazon Connect's: removed from the queue (answered, abandoned or sent on) within X ÷ queued. */
  serviceLevelConnect: number | null;
  /** Genesys's: answered within X ÷ (answered + abandoned), short abandons optionally left out. */
  serviceLevelGenesys: number | null;
  /** Average speed of answer: the answered contacts' average wait. */
  averageSpeedOfAnswerSec: number | null;
  averageAbandonSec: number | null;
  averageTalkSec: number | null;
  /** Talk plus the queue's wrap-up time (agents spend exactly that in after-call work). */
  averageHandleSec: number | null;
}

export interface AgentReportRow {
  start: string;
  localStart: string;
  agentId: string;
  agentName: string;
  answered: number;
  talkSec: number;
  averageTalkSec: number | null;
  averageSpeedOfAnswerSec: number | null;
}
