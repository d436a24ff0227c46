import { DefaultLogger, Runtime } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

/** The same `temporal` binary that `npm start` runs (scripts/provision.sh puts it on PATH or in the cache). */
export function temporalBinary(): string {
  try {
    return execFileSync('bash', ['-c', 'command -v temporal'], { encoding: 'utf8' }).trim();
  } catch {
    return path.join(
      process.env.CTICLOUD_CACHE ?? path.join(os.homedir(), '.cache', 'cticloud'),
      'bin',
      'temporal',
    );
  }
}

let installed = false;
/** The SDK logs every worker state change at INFO; tests want warnings only. */
export function quietTemporalRuntime(): void {
  if (installed) return;
  installed = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}
