/**
 * `npm start` beside another stack on one machine (issue #13). Each stack is a copy of this checkout in a temp
 * directory, with its own .run/ and CTICLOUD_STATE, sharing the running services, started and refused by
 * scripts/start.sh itself. Their API port and Stasis app are the suite's own (3410, cticloud-guard), never
 * `npm start`'s defaults, so this file can run beside a stack started by hand and beside the rest of the suite.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'nats';
import { connectAri } from '../../asterisk/ari';
import { ARI_STREAM } from '../../asterisk/ari-events';
import { loadConfig } from '../../lib/config';
import { EVENTS_STREAM } from '../../lib/events/subjects';

const ROOT = path.resolve(__dirname, '..', '..');
const config = loadConfig();
const PORT = 3410;
const APP = 'cticloud-guard';
const QUEUE = 'calls-guard';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Stack {
  dir: string;
  env: NodeJS.ProcessEnv;
}

/** A second checkout: this one's files (not node_modules, which is linked), its .env and built UI. */
function checkout(name: string): Stack {
  const dir = mkdtempSync(path.join(os.tmpdir(), `cticloud-${name}-`));
  // services.sh runs psql as postgres from here: mkdtemp's 700 would have it complain it cannot cd.
  chmodSync(dir, 0o755);
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT })
    .toString()
    .split('\0')
    .filter((f) => f && existsSync(path.join(ROOT, f)));
  for (const f of files) cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  for (const f of ['.env', 'ui/dist'])
    if (existsSync(path.join(ROOT, f))) cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return {
    dir,
    env: {
      ...process.env,
      API_PORT: String(PORT),
      ARI_APP: APP,
      TEMPORAL_TASK_QUEUE: QUEUE,
      // Its own tenant: the bootstrap admin key of the suite's tenant is left alone.
      DEFAULT_TENANT: 'start-guard',
      ADMIN_API_KEY: 'cti_start_guard_admin_key_0123456789',
      CTICLOUD_STATE: path.join(dir, 'state'),
      LOG_LEVEL: 'info',
    },
  };
}

function npmStart(stack: Stack): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['scripts/start.sh'], { cwd: stack.dir, env: stack.env });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/**
 * The processes `npm start` leaves behind belong to init once it exits, and when init reaps late (this machine's
 * does, for a second or two) a killed worker stays a zombie meanwhile: that is what fooled start before. To see
 * it every time, the first stack is started under a stand-in for such an init: a subreaper (PR_SET_CHILD_SUBREAPER
 * = 36) that adopts start's orphans and never reaps them until it exits.
 */
const LATE_INIT = `
import ctypes, signal, subprocess
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
code = subprocess.call(["bash", "scripts/start.sh"])
print("start.sh exited %d" % code, flush=True)
signal.pause()
`;
let lateInit: ChildProcess | undefined;

function npmStartUnderLateInit(stack: Stack): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', LATE_INIT], { cwd: stack.dir, env: stack.env });
    lateInit = child;
    let output = '';
    const collect = (c: Buffer) => {
      output += c.toString();
      const done = /start\.sh exited (\d+)/.exec(output);
      if (done) resolve({ code: Number(done[1]), output });
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('exit', (code) => reject(new Error(`the stand-in init exited (${code}):\n${output}`)));
  });
}

/** What `npm stop` does to CTICloud's own processes, leaving the shared services running. */
function stopProcesses(stack: Stack): void {
  execFileSync(
    'bash',
    [
      '-c',
      'source scripts/lib.sh; RUN="$ROOT/.run"; for p in gateway worker bridge-mirror bridge; do stop_pid "$p"; done',
    ],
    { cwd: stack.dir, env: stack.env, stdio: 'ignore' },
  );
}

const pidOf = (stack: Stack, name: string): number =>
  Number(readFileSync(path.join(stack.dir, '.run', `${name}.pid`), 'utf8').split(/\s+/)[0]);

/** Running, and not a zombie: what `ps` would call a live process. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

const leftRunning = (stack: Stack): string[] =>
  ['bridge', 'bridge-mirror', 'worker', 'gateway'].filter(
    (name) => existsSync(path.join(stack.dir, '.run', `${name}.pid`)) && running(pidOf(stack, name)),
  );

const logOf = (stack: Stack, name: string): string => {
  const file = path.join(stack.dir, 'state', 'logs', `${name}.log`);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
};

async function readyz(): Promise<{ status: number; body: { status: string; down: string[] } }> {
  const response = await fetch(`http://127.0.0.1:${PORT}/readyz`);
  return { status: response.status, body: (await response.json()) as { status: string; down: string[] } };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

let first: Stack;
let second: Stack | undefined;

beforeAll(async () => {
  // provision.sh would run `npm ci` into the linked node_modules if they were not this lockfile's.
  const stamp = path.join(ROOT, 'node_modules', '.cticloud-lock');
  if (
    !existsSync(stamp) ||
    readFileSync(stamp, 'utf8') !== readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')
  )
    throw new Error('node_modules is not installed for package-lock.json: run npm start or npm test once');
  first = checkout('guard-first');
  const started = await npmStartUnderLateInit(first);
  if (started.code !== 0) throw new Error(`the first stack did not start:\n${started.output}`);
  expect(started.output).toContain('CTICloud is running');
}, 240_000);

afterAll(async () => {
  for (const stack of [first, second]) {
    if (!stack) continue;
    stopProcesses(stack);
    rmSync(stack.dir, { recursive: true, force: true });
  }
  // Its zombies go to the real init, which reaps them.
  lateInit?.kill();
  // The durable consumers the first stack's worker made for its app and task queue.
  const nc = await connect({ servers: config.NATS_URL });
  const jsm = await nc.jetstreamManager();
  for (const stream of [ARI_STREAM, EVENTS_STREAM])
    for (const c of await jsm.consumers.list(stream).next())
      if (c.name.includes(APP) || c.name.includes(QUEUE))
        await jsm.consumers.delete(stream, c.name).catch(() => undefined);
  await nc.close();
}, 60_000);

describe('a second checkout', () => {
  test('on the API port of a running stack: refused naming that stack; the first keeps serving', async () => {
    second = checkout('guard-second');
    const { code, output } = await npmStart(second);
    expect(code).not.toBe(0);
    expect(output).not.toContain('CTICloud is running');
    expect(output).toContain(`port ${PORT}`);
    expect(output).toContain(path.join(first.dir, 'gateway', 'server.ts'));
    // Nothing of the second stack is left running, and the first one's gateway still answers, ready.
    expect(leftRunning(second)).toEqual([]);
    expect(await readyz()).toMatchObject({ status: 200, body: { status: 'ready' } });
  }, 120_000);

  test('on its own port but the same Stasis app: refused naming the bridge that holds it', async () => {
    second ??= checkout('guard-second');
    const { code, output } = await npmStart({
      ...second,
      env: { ...second.env, API_PORT: String(PORT + 1) },
    });
    expect(code).not.toBe(0);
    expect(output).not.toContain('CTICloud is running');
    expect(output).toContain(
      `ARI app ${APP} at ${config.ARI_URL} is held by the owner bridge (pid ${pidOf(first, 'bridge')}) of ${first.dir}`,
    );
    expect(leftRunning(second)).toEqual([]);
    // The first stack's bridge still holds the app: its gateway says so.
    expect(await readyz()).toMatchObject({ status: 200, body: { status: 'ready' } });
  }, 120_000);
});

test('a bridge displaced from its Stasis app says so, /readyz says so, and it takes the app back', async () => {
  const logged = logOf(first, 'bridge').length;
  // What a bridge of an earlier release did (and any ARI client may do): register the app without asking.
  const intruder = await connectAri({
    url: config.ARI_URL,
    user: config.ARI_USER,
    password: config.ARI_PASSWORD,
  });
  await intruder.start(APP);
  try {
    await until('the displaced bridge to say so', () =>
      logOf(first, 'bridge')
        .slice(logged)
        .includes(`ARI app ${APP} at ${config.ARI_URL} was taken over by another connection`),
    );
    const displaced = await readyz();
    expect(displaced).toMatchObject({ status: 503, body: { status: 'unavailable', down: ['bridge'] } });
  } finally {
    intruder.removeAllListeners();
    intruder.stop();
  }
  await until('the bridge to hold its app again', async () => (await readyz()).status === 200);
}, 60_000);

test('kill -9 of the worker, then npm start at once: a worker runs', async () => {
  const killed = pidOf(first, 'worker');
  process.kill(killed, 'SIGKILL');
  await until('the killed worker to be a zombie', () =>
    /\) Z /.test(readFileSync(`/proc/${killed}/stat`, 'utf8')),
  );
  const { code, output } = await npmStart(first);
  expect({ code, output }).toMatchObject({ code: 0, output: expect.stringContaining('CTICloud is running') });
  const worker = pidOf(first, 'worker');
  expect(worker).not.toBe(killed);
  expect(running(worker)).toBe(true);
  expect(logOf(first, 'worker').match(/"worker ready"/g)?.length).toBe(2);
}, 120_000);
