/**
 * Who holds a Stasis app. Asterisk gives an app name to whichever WebSocket registers it last: the previous
 * holder gets one `ApplicationReplaced` event and then nothing, while its WebSocket stays open
 * (res/stasis/app.c `app_update`, res/ari/ari_websockets.c). A second checkout's bridge on the same ARI_APP
 * thus took the first stack's calls without a word, and once it stopped the app was gone and Asterisk
 * declined every call.
 *
 * `GET /ari/applications/{app}` cannot say whether anyone holds the app: one whose WebSocket closed stays
 * listed while channels are, or were, in it, e.g. right after a bridge crashed mid-call, which is exactly
 * when its restart must go ahead. So we ask the holder: a user event sent to the app reaches whoever holds it
 * now, and a CTICloud bridge answers with who it is, in an Asterisk global variable the event names (Asterisk
 * is the one service two stacks driving it are sure to share). No answer: nobody live holds the app, or a
 * client that does not answer (not CTICloud, or a release before this check).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { AriEvent } from './ari-events';

export const PROBE_EVENT = 'cticloud-owner-probe';
const REPLY_PREFIX = 'CTICLOUD_OWNER_';
// A probe may only make us write a variable of this form, never another global of the dialplan.
const REPLY_VARIABLE = /^CTICLOUD_OWNER_[0-9a-f]{32}$/;

/** The checkout this code runs from: with the host, it tells one stack from another. */
export const CHECKOUT = path.resolve(__dirname, '..');

export interface AppOwner {
  host: string;
  checkout: string;
  pid: number;
  /** `owner` or `mirror`. */
  role: string;
  /** The API port of the holder's stack (its API_PORT), to tell the user which stack it is. */
  apiPort: number;
}

export type AppHolder = { state: 'free' } | { state: 'unanswered' } | { state: 'held'; owner: AppOwner };

export interface AriAccess {
  url: string;
  user: string;
  password: string;
}

export function thisBridge(role: string, apiPort: number): AppOwner {
  return { host: os.hostname(), checkout: CHECKOUT, pid: process.pid, role, apiPort };
}

/** Same host and checkout: the same stack (one checkout runs one stack, its pids are in its .run/). */
export const isThisStack = (owner: AppOwner): boolean =>
  owner.host === os.hostname() && owner.checkout === CHECKOUT;

export const describeOwner = (o: AppOwner): string =>
  `the ${o.role} bridge (pid ${o.pid}) of ${o.checkout} on ${o.host}, whose API port is ${o.apiPort}`;

async function ari(
  access: AriAccess,
  method: string,
  route: string,
  query: Record<string, string>,
  body?: object,
) {
  const response = await fetch(`${access.url}/ari${route}?${new URLSearchParams(query)}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${access.user}:${access.password}`).toString('base64')}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(2000),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Asks the live holder of `app` who it is; throws when ARI itself cannot be asked. */
export async function findHolder(access: AriAccess, app: string, timeoutMs = 1500): Promise<AppHolder> {
  const listed = await ari(access, 'GET', `/applications/${encodeURIComponent(app)}`, {});
  if (listed.status === 404) return { state: 'free' };
  if (listed.status !== 200) throw new Error(`GET /ari/applications/${app}: HTTP ${listed.status}`);
  const reply = `${REPLY_PREFIX}${randomBytes(16).toString('hex')}`;
  const sent = await ari(
    access,
    'POST',
    `/events/user/${PROBE_EVENT}`,
    { application: app },
    { variables: { reply } },
  );
  if (sent.status === 404) return { state: 'free' };
  if (sent.status >= 300) throw new Error(`user event to ${app}: HTTP ${sent.status}`);
  const until = Date.now() + timeoutMs;
  try {
    while (Date.now() < until) {
      const { json } = await ari(access, 'GET', '/asterisk/variable', { variable: reply });
      if (typeof json.value === 'string' && json.value)
        return { state: 'held', owner: parseOwner(json.value) };
      await new Promise((r) => setTimeout(r, 25));
    }
    return { state: 'unanswered' };
  } finally {
    // Setting a global without a value removes it.
    await ari(access, 'POST', '/asterisk/variable', { variable: reply }).catch(() => undefined);
  }
}

function parseOwner(value: string): AppOwner {
  try {
    const o = JSON.parse(value) as Partial<AppOwner>;
    return { host: '?', checkout: '?', pid: 0, role: '?', apiPort: 0, ...o };
  } catch {
    // Someone else wrote it: still a live holder, only a nameless one.
    return { host: '?', checkout: '?', pid: 0, role: '?', apiPort: 0 };
  }
}

export const isProbe = (event: AriEvent): boolean =>
  event.type === 'ChannelUserevent' && event.eventname === PROBE_EVENT;

/** Answers a probe received for `app` (the holder's side of findHolder). */
export async function answerProbe(
  access: AriAccess,
  app: string,
  event: AriEvent,
  me: AppOwner,
): Promise<void> {
  const reply = event.userevent?.reply;
  if (event.application !== app || !reply || !REPLY_VARIABLE.test(reply)) return;
  await ari(access, 'POST', '/asterisk/variable', { variable: reply, value: JSON.stringify(me) });
}

export function describeHolder(app: string, url: string, holder: AppHolder): string {
  if (holder.state === 'held') return `ARI app ${app} at ${url} is held by ${describeOwner(holder.owner)}`;
  if (holder.state === 'free') return `no bridge holds ARI app ${app} at ${url}`;
  return `ARI app ${app} at ${url} is registered but no CTICloud bridge answers for it`;
}
