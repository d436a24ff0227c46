import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from '../lib/db';
import type { CallStatus } from '../workflows/call/contract';

export interface CdrInput extends CallStatus {
  node: string;
}

export function createCdrActivities(pool: Pool) {
  return {
    /** Idempotent per workflow: a retried write after a timeout updates the same row. */
    async recordCdr(cdr: CdrInput): Promise<void> {
      await insertCdr(pool, cdr).catch(permanentSqlFailure);
    },
  };
}

/**
 * Data (22) and constraint (23) errors do not go away by retrying; anything else (connection lost,
 * database restarting) does, so the workflow keeps retrying those until PostgreSQL is back.
 */
function permanentSqlFailure(err: unknown): never {
  const code = (err as { code?: string }).code;
  if (typeof code === 'string' && /^2[23]/.test(code)) {
    throw ApplicationFailure.create({
      type: 'CdrRejected',
      message: `PostgreSQL rejected the CDR (${code}): ${(err as Error).message}`,
      nonRetryable: true,
    });
  }
  throw err;
}

async function insertCdr(pool: Pool, cdr: CdrInput): Promise<void> {
  await pool.query(
    `insert into cdrs (tenant_id, workflow_id, channel_id, node, from_number, to_number, started_at,
                           answered_at, ended_at, disposition, ended_by, digits)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         on conflict (workflow_id) do update set answered_at = excluded.answered_at, ended_at = excluded.ended_at,
           disposition = excluded.disposition, ended_by = excluded.ended_by, digits = excluded.digits`,
    [
      cdr.tenantId,
      cdr.workflowId,
      cdr.channelId,
      cdr.node,
      cdr.from,
      cdr.to,
      cdr.startedAt,
      cdr.answeredAt ?? null,
      cdr.endedAt ?? new Date().toISOString(),
      cdr.disposition,
      cdr.endedBy ?? 'system',
      cdr.digits,
    ],
  );
}

export type CdrActivities = ReturnType<typeof createCdrActivities>;
