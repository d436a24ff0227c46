import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { InvalidFieldError } from '../../errors';

const run = promisify(execFile);

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
      await run('sox', [input, '-r', '8000', '-c', '1', '-b', '16', output]);
    } catch (err) {
      const reason = (err as { stderr?: string }).stderr?.trim().split('\n').pop() ?? 'unreadable audio';
      throw new InvalidFieldError('body', `not audio sox can read (${reason})`);
    }
    const audio = await readFile(output);
    // 16-bit mono at 8 kHz: 16 000 bytes a second after the 44-byte header.
    return { audio, durationMs: Math.round(((audio.length - 44) / 16_000) * 1000) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
