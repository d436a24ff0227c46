/**
 * The capacity benchmark's IVR (bench/capacity.ts): the flow CTICloud runs, the keys the SIPp caller presses
 * (bench/sipp/ivr.xml), and the HTTP stub both the flow's http node and the dialplan baseline ([bench-ivr]
 * in asterisk/conf/extensions.conf) look the account up on.
 */
import { createServer, type Server } from 'node:http';
import type { BenchStack } from './acd-kit';
import { flow, node } from './flow-simulation';
import { provisionNumber } from '../test/support/numbers';

/** What bench/sipp/ivr.xml presses: the menu option, then the four digits of the gather. */
export const CALLER_KEYS = { menu: '2', code: '3579' } as const;
/** The stub's port: fixed, because the dialplan baseline has it written in. */
export const STUB_PORT = 3390;
/** The stub answers the code reversed as the balance, so the said digits depend on what it was sent. */
export const balanceFor = (code: string): string => [...code].reverse().join('');

/** Prompts (sound files of Asterisk's core set) of both IVRs, in the order a caller hears them. */
const SOUNDS = {
  greeting: 'hello-world',
  menu: 'to-extension',
  gather: 'vm-enter-num-to-call',
} as const;
/** Prompts a caller who presses the expected keys hears: greeting, menu, gather, the balance. */
export const PROMPTS_PER_CALL = 4;

const sound = (name: string) => ({ prompt: { kind: 'sound', name } });

/** Greeting, menu (1 and 2; 2 goes on), gather 4 digits, http lookup, say the balance, hang up. */
export function ivrDefinition() {
  const nodes = [
    node('greeting', 'play', sound(SOUNDS.greeting)),
    node('menu', 'menu', { ...sound(SOUNDS.menu), options: [{ digit: '1' }, { digit: '2' }], retries: 0 }),
    node('code', 'gather', {
      ...sound(SOUNDS.gather),
      variable: 'code',
      minDigits: 4,
      maxDigits: 4,
      retries: 0,
    }),
    node('lookup', 'http', {
      url: `http://127.0.0.1:${STUB_PORT}/lookup?code={{code}}&caller={{caller.number}}`,
      responseMap: [{ variable: 'balance', path: 'account.balance' }],
    }),
    node('balance', 'say', { as: 'digits', value: '{{balance}}' }),
    node('bye', 'hangup', { reason: 'normal' }),
  ];
  const edges = [
    ['greeting', 'next', 'menu'],
    ['menu', `option:${CALLER_KEYS.menu}`, 'code'],
    ['menu', 'option:1', 'bye'],
    ['menu', 'invalid', 'bye'],
    ['menu', 'no_input', 'bye'],
    ['code', 'valid', 'lookup'],
    ['code', 'invalid', 'bye'],
    ['code', 'no_input', 'bye'],
    ['lookup', 'success', 'balance'],
    ['lookup', 'error', 'bye'],
    ['lookup', 'timeout', 'bye'],
    ['balance', 'next', 'bye'],
  ].map(([from, exit, to]) => ({ from: from!, exit: exit!, to: to! }));
  return flow('greeting', nodes, edges, ['code', 'balance']);
}

/**
 * Publishes the IVR for the bench tenant and routes a fresh number to it. The lookup is on loopback, which
 * the tenant may only call when the operator allows private destinations and the host is on its allow-list
 * (the worker runs with OUTBOUND_POLICY=loopback-only, as the integration tests do).
 */
export async function publishIvr(stack: BenchStack): Promise<string> {
  await stack.pool.query('update tenants set webhook_allow_private = true where id = $1', [stack.tenantId]);
  await stack.api('PUT', '/v1/tenant/http-allow-hosts', { hosts: ['127.0.0.1'] });
  const definition = ivrDefinition();
  const created = await stack.api<{ id: string }>(
    'POST',
    '/v1/flows',
    { name: `bench capacity ${Date.now()}`, definition },
    201,
  );
  await stack.api('POST', `/v1/flows/${created.id}/publish`, undefined, 201);
  const number = `57${Date.now() % 100_000_000}`;
  await provisionNumber(stack.pool, stack.tenantId, number);
  await stack.api('POST', '/v1/numbers', { number, flowId: created.id }, 201);
  return number;
}

/** The account system both IVRs call: what it was asked, by caller number. */
export interface LookupStub {
  /** Codes received per caller number since the last reset. */
  codesByCaller: Map<string, string[]>;
  reset(): void;
  close(): Promise<void>;
}

export async function startLookupStub(): Promise<LookupStub> {
  const codesByCaller = new Map<string, string[]>();
  const server: Server = createServer((request, response) => {
    const query = new URL(request.url ?? '/', 'http://stub').searchParams;
    const [code, caller] = [query.get('code') ?? '', query.get('caller') ?? ''];
    codesByCaller.set(caller, [...(codesByCaller.get(caller) ?? []), code]);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ account: { balance: balanceFor(code) } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(STUB_PORT, '127.0.0.1', resolve);
  });
  return {
    codesByCaller,
    reset: () => codesByCaller.clear(),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
