/**
 * The simulation half of the flow-interpreter bench (bench/flow-interpreter.ts): a 30-node IVR and three
 * scripted callers, run by simulateFlow in process and through POST /v1/flows/:id/simulate.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Pool } from '../lib/db';
import { SimulationScript, simulateFlow } from '../lib/flow-simulator';
import { createApiKey } from '../test/support/keys';
import { ManagedProcess } from '../test/support/process';
import type { FlowDefinition } from '../domain/flow/definition';
import { normalizeDefinition } from '../domain/flow/normalize';
import { summarize } from './stats';

/** The simulate API's tenant: http nodes need hosts on its allow-list, and the default tenant's list
 * belongs to the integration tests. */
const SIM_TENANT = 'bench-flow';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Node = FlowDefinition['nodes'][number];
export type Edge = FlowDefinition['edges'][number];
export const node = (id: string, type: string, params: object): Node => ({
  id,
  type,
  params: params as Record<string, unknown>,
  position: { x: 0, y: 0 },
});
export const flow = (start: string, nodes: Node[], edges: Edge[], variables: string[]): FlowDefinition => ({
  schemaVersion: 1,
  start,
  nodes,
  edges,
  variables: variables.map((name) => ({ name, initial: '', secret: false })),
});

const tts = (text: string) => ({ prompt: { kind: 'tts', text } });
const menu = (text: string, digits: string) => ({
  ...tts(text),
  options: [...digits].map((digit) => ({ digit })),
});
const get = (url: string, variable: string, path: string) => ({ url, responseMap: [{ variable, path }] });
const branch = (...when: string[]) => ({ conditions: when.map((w, i) => ({ id: `c${i}`, when: w })) });
const crm = 'https://crm.example.com/accounts/{{account}}?lang={{lang}}';

/** A 30-node IVR, one node a line: id, type, exits as `exit=to` (exits sharing a target joined by commas). */
const IVR_GRAPH = `
  greet      play       next=hours
  hours      hours      open=lang closed=vm
  lang       menu       option:2=setEs option:1,invalid,no_input=setEn
  setEn      set        next=main
  setEs      set        next=main
  main       menu       option:1=account option:2=ticket option:3=status option:0,invalid=agents no_input=bye
  account    gather     valid=lookup invalid=agents no_input=bye
  lookup     http       success=vip error,timeout=sorry
  vip        branch     when:c0=vipLine else=balanceIs
  vipLine    transfer   completed=bye busy,no_answer,failed=agents
  balanceIs  play       next=balance
  balance    say        next=dueOn
  dueOn      play       next=due
  due        say        next=payMenu
  payMenu    menu       option:1=pay option:2=main invalid,no_input=bye
  pay        http       success=paid error,timeout=sorry
  paid       set        next=confirm
  confirm    say        next=bye
  ticket     gather     valid=ticketGet invalid=agents no_input=bye
  ticketGet  http       success=ticketIs error,timeout=sorry
  ticketIs   branch     when:c0=ticketOpen when:c1=bye else=agents
  ticketOpen play       next=main
  status     http       success=statusIs error,timeout=sorry
  statusIs   branch     when:c0=statusOk else=outage
  statusOk   play       next=main
  outage     play       next=agents
  sorry      play       next=agents
  agents     queue      served=bye overflow=vm
  vm         voicemail  recorded,empty=bye
  bye        hangup`;

const IVR_PARAMS: Record<string, object> = {
  greet: tts('Welcome to Acme, caller {{caller.number}}.'),
  hours: {
    timeZone: 'Europe/Berlin',
    weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '08:00', close: '18:00' }],
  },
  lang: menu('For English press 1. Para español, 2.', '12'),
  setEn: { assignments: [{ variable: 'lang', value: 'en' }] },
  setEs: { assignments: [{ variable: 'lang', value: 'es' }] },
  main: menu('Billing 1, support 2, service status 3, an agent 0.', '1230'),
  account: { ...tts('Your account number.'), variable: 'account', minDigits: 6, maxDigits: 6 },
  lookup: { url: crm, responseMap: ['balance', 'due', 'tier'].map((v) => ({ variable: v, path: `a.${v}` })) },
  vip: branch("tier == 'gold' && balance != '0'"),
  vipLine: { to: { kind: 'number', number: '5550199' } },
  balanceIs: tts('Your balance is'),
  balance: { as: 'number', value: '{{balance}}' },
  dueOn: tts('due on'),
  due: { as: 'date', value: '{{due}}' },
  payMenu: menu('To pay now press 1, for the main menu 2.', '12'),
  pay: {
    method: 'POST',
    body: '{"account":"{{account}}"}',
    ...get('https://pay.example.com/v1', 'receipt', 'id'),
  },
  paid: { assignments: [{ variable: 'paid', value: 'yes {{balance}}' }] },
  confirm: { as: 'digits', value: '{{receipt}}' },
  ticket: { ...tts('Your ticket number, then hash.'), variable: 'ticketId', maxDigits: 8 },
  ticketGet: get('https://help.example.com/tickets/{{ticketId}}', 'ticketStatus', 'status'),
  ticketIs: branch("ticketStatus == 'open'", "ticketStatus == 'solved'"),
  ticketOpen: tts('Ticket {{ticketId}} is being worked on.'),
  status: get('https://status.example.com/api/v2/status.json', 'indicator', 's.indicator'),
  statusIs: branch("indicator == 'none'"),
  statusOk: { prompt: { kind: 'sound', name: 'all-systems-go' } },
  outage: tts('We have an outage ({{indicator}}). Sorry.'),
  sorry: { prompt: { kind: 'sound', name: 'sorry' } },
  agents: { queueId: '3f1b6a7e-2c4d-4e8f-9a0b-1c2d3e4f5a6b', maxWaitSec: 120 },
  vm: tts('Please leave a message.'),
};

export function ivrFlow(): FlowDefinition {
  const lines = IVR_GRAPH.trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));
  const edges = lines.flatMap(([from, , ...exits]) =>
    exits.flatMap((part) => {
      const [names, to] = part.split('=') as [string, string];
      return names.split(',').map((exit) => ({ from: from!, exit, to }));
    }),
  );
  const nodes = lines.map(([id, type]) => node(id!, type!, IVR_PARAMS[id!] ?? {}));
  const variables = ['lang', 'balance', 'due', 'tier', 'receipt', 'paid', 'ticketStatus', 'indicator'];
  return flow('greet', nodes, edges, variables);
}

/** Callers of the IVR: pay a bill; a ticket, the status, then an agent; an outage, then voicemail. */
const SCENARIOS = [
  {
    digits: ['1', '1', '123456', '1'],
    http: [
      { url: 'https://crm.', body: { a: { balance: '42', due: '2026-12-01', tier: 'silver' } } },
      { url: 'https://pay.', status: 201, body: { id: '99812' } },
    ],
  },
  {
    digits: ['2', '2', '4711#', '3', '0'],
    http: [{ url: 'https://help.', body: { status: 'open' } }, { body: { s: { indicator: 'none' } } }],
    queues: ['served'],
  },
  { digits: ['1', '3'], http: [{ body: { s: { indicator: 'major' } } }], queues: ['overflow'] },
].map((s) => SimulationScript.parse({ ...s, at: '2026-11-25T10:00:00+01:00' }));

/** Runs `once` for `seconds` after a second of warm-up (JIT, connections); answers the units it did per second. */
async function throughput(once: (i: number) => Promise<number>, seconds: number, workers = 1) {
  const runFor = async (millis: number) => {
    const end = performance.now() + millis;
    const counts = await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        let [runs, units] = [0, 0];
        for (; performance.now() < end; runs++) units += await once(w + runs * workers);
        return [runs, units] as const;
      }),
    );
    return counts.reduce(([r, u], [r2, u2]) => [r + r2, u + u2], [0, 0]);
  };
  await runFor(1000);
  const start = performance.now();
  const [runs, units] = await runFor(seconds * 1000);
  const took = (performance.now() - start) / 1000;
  return { runs, perSecond: Math.round(runs / took), unitsPerSecond: Math.round(units / took) };
}

/** simulateFlow in this process: the interpreter and its handlers with no I/O. */
export async function simulateInProcess(seconds: number) {
  const ivr = { id: 'bench', version: 1, definition: normalizeDefinition(ivrFlow()) };
  const env = { tenantId: 'bench', allowHosts: ['*.example.com'], loadFlow: async () => undefined };
  const paths = await Promise.all(SCENARIOS.map((script) => simulateFlow(ivr, script, env)));
  const wrong = paths.find((r) => r.ended.by !== 'hangup_node');
  if (wrong) throw new Error(`a scenario ended by ${wrong.ended.by} at ${wrong.ended.nodeId}`);
  const run = await throughput(
    async (i) => (await simulateFlow(ivr, SCENARIOS[i % 3]!, env)).path.length,
    seconds,
  );
  return {
    nodesInFlow: ivr.definition.nodes.length,
    pathLengths: paths.map((r) => r.path.length),
    flowsPerSecond: run.perSecond,
    nodesPerSecond: run.unitsPerSecond,
  };
}

const listenable = (port: number): Promise<number | undefined> =>
  new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });

/** POST /v1/flows/:id/simulate on the draft (validated, normalized, simulated) from `clients` clients at once. */
export async function simulateOverApi(pool: Pool, opts: { port: number; clients: number; seconds: number }) {
  const port = (await listenable(opts.port)) ?? (await listenable(0))!;
  const key = await createApiKey(pool, SIM_TENANT, 'admin', 'bench flow-interpreter');
  await pool.query('update tenants set http_allow_hosts = $2 where id = $1', [SIM_TENANT, ['*.example.com']]);
  const { rows } = await pool.query<{ id: string }>(
    'insert into flows (tenant_id, name, draft) values ($1, $2, $3) returning id',
    [SIM_TENANT, `bench-ivr-${Date.now()}`, ivrFlow()],
  );
  const url = `http://127.0.0.1:${port}`;
  // At warn: fastify logs every request at info, and that would be measured too.
  const env = { API_PORT: String(port), API_HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  const gateway = new ManagedProcess('bench-flow-gateway', 'gateway/server.ts', env).start();
  try {
    const up = () =>
      fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    for (const until = Date.now() + 30_000; !(await up()); await sleep(200)) {
      if (!gateway.running || Date.now() > until) throw new Error(`gateway did not start:\n${gateway.log}`);
    }
    const bodies = SCENARIOS.map((s) => JSON.stringify({ version: 'draft', ...s }));
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const latencies: number[] = [];
    let errors = 0;
    const run = await throughput(
      async (i) => {
        const t0 = performance.now();
        const init = { method: 'POST', headers, body: bodies[i % bodies.length] };
        const response = await fetch(`${url}/v1/flows/${rows[0]!.id}/simulate`, init);
        const result = (await response.json()) as { ended?: { by: string } };
        if (response.status !== 200 || result.ended?.by !== 'hangup_node') errors++;
        latencies.push(performance.now() - t0);
        return 0;
      },
      opts.seconds,
      opts.clients,
    );
    // The warm-up's latencies are the first ones; only the measured window's count.
    return {
      clients: opts.clients,
      requestsPerSecond: run.perSecond,
      errors,
      latencyMs: summarize(latencies.slice(-run.runs)),
    };
  } finally {
    await gateway.stop();
    await pool.query('delete from flows where id = $1', [rows[0]!.id]);
    await pool.query('delete from api_keys where tenant_id = $1', [SIM_TENANT]);
    await pool.query('delete from tenants where id = $1', [SIM_TENANT]).catch(() => undefined);
  }
}
