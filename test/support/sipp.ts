import { execFile } from 'node:child_process';
import path from 'node:path';

export interface SippRun {
  code: number;
  stdout: string;
  stderr: string;
}

let nextPort = 15100 + (process.pid % 400) * 2;

/** Runs SIPp (Debian's sip-tester) against our Asterisk with a scenario from test/sipp or bench/sipp. */
export function runSipp(scenario: string, args: string[], timeoutMs = 60_000): Promise<SippRun> {
  const sipPort = nextPort++;
  const mediaPort = 17000 + (sipPort % 1000) * 2;
  return new Promise((resolve) => {
    execFile(
      'sipp',
      [
        '127.0.0.1:5060',
        '-sf',
        path.resolve(scenario),
        '-i',
        '127.0.0.1',
        '-p',
        String(sipPort),
        '-mp',
        String(mediaPort),
        '-nostdin',
        ...args,
      ],
      { timeout: timeoutMs },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
