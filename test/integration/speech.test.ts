import { execFile } from 'node:child_process';
import { mkdtemp, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createSpeechActivities } from '../../activities/speech';

const run = promisify(execFile);

test('speaks text into an 8 kHz mono 16-bit wav, once per voice and text', async () => {
  const hostDir = await mkdtemp(path.join(os.tmpdir(), 'tts-'));
  const { synthesizeSpeech } = createSpeechActivities({
    hostDir,
    asteriskDir: '/var/lib/asterisk/sounds/cticloud-tts',
  });
  const { media } = await synthesizeSpeech({ text: 'Your balance is 42 dollars', voice: 'en-us' });
  expect(media).toMatch(/^sound:\/var\/lib\/asterisk\/sounds\/cticloud-tts\/[0-9a-f]{24}$/);
  const file = path.join(hostDir, `${path.basename(media)}.wav`);
  const { stdout } = await run('soxi', [file]);
  expect(stdout).toMatch(/Sample Rate\s*:\s*8000/);
  expect(stdout).toMatch(/Channels\s*:\s*1/);
  expect(stdout).toMatch(/Precision\s*:\s*16-bit/);
  const { stdout: seconds } = await run('soxi', ['-D', file]);
  expect(Number(seconds)).toBeGreaterThan(1);

  const made = (await stat(file)).mtimeMs;
  expect((await synthesizeSpeech({ text: 'Your balance is 42 dollars', voice: 'en-us' })).media).toBe(media);
  expect((await stat(file)).mtimeMs).toBe(made);
  expect((await synthesizeSpeech({ text: 'Your balance is 43 dollars', voice: 'en-us' })).media).not.toBe(
    media,
  );
});

test('an unknown voice fails for good', async () => {
  const hostDir = await mkdtemp(path.join(os.tmpdir(), 'tts-'));
  const { synthesizeSpeech } = createSpeechActivities({ hostDir, asteriskDir: '/x' });
  await expect(synthesizeSpeech({ text: 'hello', voice: 'zz-nowhere' })).rejects.toMatchObject({
    type: 'SpeechRejected',
    nonRetryable: true,
  });
});
