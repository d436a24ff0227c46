import { ApplicationFailure } from '@temporalio/common';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** espeak-ng and sox take well under a second on bounded text; one that hangs is killed. */
const TOOL_LIMITS = { timeout: 30_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 } as const;

export interface SpeechOptions {
  /** Where prompts are written, as this process sees it (inside the Asterisk chroot for the bundled one). */
  hostDir: string;
  /** The same directory as Asterisk sees it: media URIs point there. */
  asteriskDir: string;
}

/**
 * Text-to-speech prompts: espeak-ng speaks, sox makes 8 kHz mono 16-bit wav (what Asterisk plays without
 * transcoding). Files are named by a hash of voice and text, so each prompt is made once and a retried
 * activity finds it done.
 */
export function createSpeechActivities({ hostDir, asteriskDir }: SpeechOptions) {
  return {
    async synthesizeSpeech({ text, voice }: { text: string; voice: string }): Promise<{ media: string }> {
      const name = createHash('sha256').update(`${voice}\0${text}`).digest('hex').slice(0, 24);
      const file = path.join(hostDir, `${name}.wav`);
      const media = `sound:${path.posix.join(asteriskDir, name)}`;
      if (
        await access(file).then(
          () => true,
          () => false,
        )
      )
        return { media };
      await mkdir(hostDir, { recursive: true });
      const raw = `${file}.${process.pid}.raw.wav`;
      const tmp = `${file}.${process.pid}.tmp.wav`;
      try {
        await run('espeak-ng', ['-v', voice, '-w', raw, '--', text], TOOL_LIMITS);
        await run('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', tmp], TOOL_LIMITS);
        await rename(tmp, file);
      } catch (err) {
        const message = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
        // An unknown voice stays unknown: no retry will speak it.
        if (/voice|does not exist|Failed to read voice/i.test(message)) {
          throw ApplicationFailure.create({ type: 'SpeechRejected', message, nonRetryable: true });
        }
        throw err;
      } finally {
        await rm(raw, { force: true });
        await rm(tmp, { force: true });
      }
      return { media };
    },
  };
}

export type SpeechActivities = ReturnType<typeof createSpeechActivities>;
