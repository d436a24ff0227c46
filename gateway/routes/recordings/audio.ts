import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { InvalidFieldError } from '../../errors';

const run = promisify(execFile);

/**
 * The longest prompt kept. A compressed upload can hold far more audio than its size says (89 KB of FLAC
 * silence is an hour), so the conversion stops one second past this and longer uploads are refused.
 * @default 600 (10 minutes: 9.6 MB of telephony wav)
 */
export const MAX_PROMPT_SECONDS = 600;
/** sox on a bounded output takes well under a second; one that does not finish is killed. @default 30_000 */
export const CONVERT_TIMEOUT_MS = 30_000;

/**
 * An uploaded prompt as Asterisk plays it without transcoding: 8 kHz mono 16-bit wav, with its length.
 * sox reads wav, mp3 (when built with it), flac and ogg; anything it cannot read is the client's error.
 */
export async function toTelephonyWav(
  upload: Buffer,
  type: string,
): Promise<{ audio: Buffer; durationMs: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cticloud-upload-'));
  const input = path.join(dir, `in.${type}`);
  const output = path.join(dir, 'out.wav');
  try {
    await writeFile(input, upload);
    try {
      // `trim` ends the conversion (and sox's reading) one second past the limit, whatever the input holds.
      await run(
        'sox',
        ['-V1', input, '-r', '8000', '-c', '1', '-b', '16', output, 'trim', '0', `${MAX_PROMPT_SECONDS + 1}`],
        { timeout: CONVERT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 },
      );
    } catch (err) {
      if ((err as { killed?: boolean }).killed)
        throw new InvalidFieldError(
          'body',
          `the audio could not be converted within ${CONVERT_TIMEOUT_MS / 1000} s`,
        );
      const reason = (err as { stderr?: string }).stderr?.trim().split('\n').pop() ?? 'unreadable audio';
      throw new InvalidFieldError('body', `not audio sox can read (${reason})`);
    }
    const audio = await readFile(output);
    // 16-bit mono at 8 kHz: 16 000 bytes a second after the 44-byte header.
    const durationMs = Math.round(((audio.length - 44) / 16_000) * 1000);
    if (durationMs > MAX_PROMPT_SECONDS * 1000)
      throw new InvalidFieldError('body', `a prompt is at most ${MAX_PROMPT_SECONDS / 60} minutes long`);
    return { audio, durationMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
