import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ASTERISK_ROOT =
  process.env.ASTERISK_ROOT ??
  path.join(process.env.CTICLOUD_CACHE ?? path.join(os.homedir(), '.cache', 'cticloud'), 'asterisk-root');

/** A path Asterisk wrote inside its chroot, as seen from the host. */
export const hostPath = (asteriskPath: string): string => path.join(ASTERISK_ROOT, asteriskPath);

export async function waitForFile(file: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const size = await stat(file).then(
      (s) => s.size,
      () => 0,
    );
    if (size > 44) return;
    if (Date.now() > until) throw new Error(`${file} was not written`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Seconds of audio and RMS amplitude (0..1) of a wav file, measured by sox. */
export async function audioStats(file: string): Promise<{ seconds: number; rms: number }> {
  const { stderr } = await run('sox', [file, '-n', 'stat']);
  const field = (name: string): number =>
    Number(new RegExp(`${name}:\\s+([0-9.]+)`).exec(stderr)?.[1] ?? NaN);
  return { seconds: field('Length \\(seconds\\)'), rms: field('RMS\\s+amplitude') };
}
