import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkAri, connectAri } from '../../asterisk/ari';
import { AriUnavailableError } from '../../asterisk/ari-errors';
import { startFakeAri } from '../support/fake-ari-server';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

/** Runs connectAri in a fresh Node process, where an uncaught exception would kill it. */
async function connectInChild(
  url: string,
  timeoutMs = 3000,
  aliveAfterMs = 300,
): Promise<{ code: number; out: string }> {
  const script = `
    const { connectAri } = require('./asterisk/ari');
    connectAri({ url: ${JSON.stringify(url)}, user: 'u', password: 'p', connectTimeoutMs: ${timeoutMs} })
      .then(() => console.log('CONNECTED'), (err) => console.log('REJECTED', err.name, err.message))
      .then(() => setTimeout(() => console.log('ALIVE'), ${aliveAfterMs}));`;
  try {
    const { stdout } = await run(path.join(ROOT, 'node_modules/.bin/tsx'), ['-e', script], { cwd: ROOT });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('connecting to ARI through the adapter', () => {
  test('an ARI that refuses our credentials is a typed error naming the status, not a crash', async () => {
    const fake = await startFakeAri({ resources: 401, declarations: 200 });
    try {
      const err = await checkAri({ url: fake.url, user: 'u', password: 'p' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AriUnavailableError);
      expect(err).toMatchObject({ status: 401, message: expect.stringContaining('HTTP 401') });
    } finally {
      await fake.close();
    }
  });

  test('nobody listening is a typed error naming the reason', async () => {
    const err = await connectAri({ url: 'http://127.0.0.1:18099', user: 'u', password: 'p' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AriUnavailableError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });

  test('a declaration that fails after the connect timed out is contained too', async () => {
    const fake = await startFakeAri({ resources: 200, declarations: 404, declarationDelayMs: 1200 });
    try {
      const { code, out } = await connectInChild(fake.url, 400, 2500);
      expect(out).toMatch(/REJECTED AriUnavailableError .*connect timed out/);
      expect(out).toContain('ALIVE');
      expect(code).toBe(0);
    } finally {
      await fake.close();
    }
  });

  test("swagger-client's uncaught throw on a failing API declaration is contained: the process lives on", async () => {
    const fake = await startFakeAri({ resources: 200, declarations: 404 });
    try {
      const { code, out } = await connectInChild(fake.url);
      expect(out).toMatch(/REJECTED AriUnavailableError .*Unable to read api 'channels'/);
      expect(out).toContain('ALIVE');
      expect(code).toBe(0);
    } finally {
      await fake.close();
    }
  });
});
