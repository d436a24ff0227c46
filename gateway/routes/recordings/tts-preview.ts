import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { Prompt } from '../../../domain/flow/nodes/spec';
import { InvalidFieldError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';

const run = promisify(execFile);
/** espeak-ng and sox take well under a second on bounded text; one that hangs is killed. */
const TOOL_LIMITS = { timeout: 30_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 } as const;

// The tts prompt's own fields, so a preview accepts exactly what a play node does.
const TtsPreviewBody = Prompt.options[2].pick({ text: true, voice: true }).meta({ id: 'TtsPreview' });

/**
 * Speaks a TTS prompt the way a call hears it (espeak-ng, then sox to 8 kHz mono, as the speech activity
 * does), so the designer can play it before publishing. Nothing is cached or stored.
 */
const ttsPreview: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/tts-preview',
    {
      config: { roles: [Role.Admin, Role.Developer] },
      schema: {
        tags: ['recordings'],
        summary: 'Speak a TTS prompt as a call would hear it: 8 kHz mono wav',
        body: TtsPreviewBody,
        // The speech is audio/wav; refusals are JSON like everywhere else.
        produces: ['audio/wav', 'application/json'],
        response: {
          200: z.any().meta({ description: 'audio/wav' }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { text, voice } = request.body;
      const dir = await mkdtemp(path.join(os.tmpdir(), 'cticloud-tts-'));
      const raw = path.join(dir, 'raw.wav');
      const wav = path.join(dir, 'out.wav');
      try {
        try {
          await run('espeak-ng', ['-v', voice, '-w', raw, '--', text], TOOL_LIMITS);
        } catch (err) {
          const message = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
          throw new InvalidFieldError('body.voice', `espeak-ng cannot speak voice ${voice} (${message})`);
        }
        await run('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', wav], TOOL_LIMITS);
        return reply.type('audio/wav').send(await readFile(wav));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
};

export default ttsPreview;
