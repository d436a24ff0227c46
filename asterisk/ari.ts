/**
 * The only door to ari-client. It contains the library's three known faults:
 * - an ARI that answers an error while the API docs load makes swagger-client throw a bare string
 *   ("Can't read swagger JSON …") from an HTTP callback, i.e. an uncaught exception: we check the docs
 *   ourselves first and contain that one throw while connecting;
 * - its WebSocket gives up after 10 reconnect attempts (~43 s): we then rebuild the client and keep
 *   trying forever with a capped backoff;
 * - per-instance listeners (`channel.on(…)`) are never removed: we never use them, and prune any that
 *   appear when a channel is destroyed.
 */
import { EventEmitter } from 'node:events';
import * as ariClient from 'ari-client';
import type { RawAriClient } from 'ari-client';
import { answerProbe, findHolder, isProbe, type AppOwner } from './app-owner';
import { AriUnavailableError } from './ari-errors';
import type { AriEvent } from './ari-events';

export interface AriOptions {
  /** Base URL of Asterisk's HTTP server, e.g. `http://127.0.0.1:8088`. */
  url: string;
  user: string;
  password: string;
  /** How long the API-docs check and the connect may take, in ms. @default 5000 */
  connectTimeoutMs?: number;
}

/** swagger-client fails by throwing bare strings ("Can't read swagger JSON …", "Unable to read api …"). */
const isSwaggerLoadFailure = (err: unknown): boolean => typeof err === 'string';

/** Fails fast with a typed error when ARI is down or refuses our credentials. */
export async function checkAri(options: AriOptions): Promise<void> {
  const url = `${options.url}/ari/api-docs/resources.json`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: {
        authorization: `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`,
      },
      signal: AbortSignal.timeout(options.connectTimeoutMs ?? 5000),
    });
  } catch (err) {
    // fetch hides the socket error in `cause` (an AggregateError when both IPv4 and IPv6 were tried).
    const cause = (err as { cause?: { code?: string; errors?: { code?: string }[]; message?: string } })
      .cause;
    const reason = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (err as Error).message;
    throw new AriUnavailableError(options.url, reason);
  }
  await response.arrayBuffer();
  if (response.status !== 200) {
    throw new AriUnavailableError(options.url, `HTTP ${response.status} for the API docs`, response.status);
  }
}

/** Loads ari-client against a checked ARI, turning its uncaught swagger failure into a rejection. */
export async function connectAri(options: AriOptions): Promise<RawAriClient> {
  await checkAri(options);
  let onUncaught: ((err: unknown) => void) | undefined;
  const contained = new Promise<never>((_, reject) => {
    onUncaught = (err: unknown) => {
      if (isSwaggerLoadFailure(err)) {
        reject(new AriUnavailableError(options.url, String(err)));
        return;
      }
      // Not ours. With no other handler Node would print and exit; keep that behaviour.
      if (process.listenerCount('uncaughtException') === 1) {
        console.error(err);
        process.exit(1);
      }
    };
    process.prependListener('uncaughtException', onUncaught);
  });
  // swagger-client prints a deprecation notice for ARI's Swagger 1.1 docs on every connect.
  const consoleLog = console.log;
  console.log = (...args: unknown[]) => {
    if (!String(args[0]).includes('deprecated version of Swagger')) consoleLog(...args);
  };
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AriUnavailableError(options.url, 'connect timed out')), timeoutMs);
  });
  const connecting = ariClient.connect(options.url, options.user, options.password);
  // The guard stays until ari-client itself is done, not until our race is: a connect that timed out can
  // still fail later, and swagger-client then throws right after rejecting.
  const release = (): void => {
    console.log = consoleLog;
    setImmediate(() => onUncaught && process.removeListener('uncaughtException', onUncaught));
  };
  connecting.then(release, release);
  try {
    return await Promise.race([
      connecting.catch((err: unknown) => {
        throw new AriUnavailableError(options.url, err instanceof Error ? err.message : String(err));
      }),
      contained,
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface AriEventOptions extends AriOptions {
  /** The Stasis application to register. */
  app: string;
  /** Receive events of every channel and bridge, not only those in `app`. @default false */
  subscribeAll?: boolean;
  /** First delay before rebuilding a client that gave up, in ms. @default 250 */
  minBackoffMs?: number;
  /** Longest delay between rebuild attempts, in ms. @default 5000 */
  maxBackoffMs?: number;
  /**
   * Who this stream is (asterisk/app-owner.ts). Set: before registering `app` it asks whoever holds the app
   * and stays off while a live CTICloud bridge does, and it answers that question for others. Unset: neither.
   */
  owner?: AppOwner;
  /** How often to ask again while another bridge holds the app, in ms. @default 5000 */
  heldRetryMs?: number;
}

interface AriEventStreamEvents {
  event: [AriEvent];
  connected: [];
  disconnected: [Error | undefined];
  /** A live bridge of another process holds the app: this stream does not register it, and asks again later. */
  held: [AppOwner];
  /** The app is registered but nobody answers for it (a crashed bridge's leftover, or another client). */
  unanswered: [];
  /** Another connection registered the app: its events no longer come here. Taken back once it is free. */
  displaced: [];
}

/** What ended a connection: ari-client gave up (with its error, if any), stop(), or another took the app. */
type Lost = { error?: Error; displaced?: true };

/** Holds one ARI WebSocket for as long as it runs, whatever ARI does. */
export class AriEventStream extends EventEmitter<AriEventStreamEvents> {
  private client: RawAriClient | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  isConnected = false;
  /** Since another connection took the app, until this stream has it again. */
  isDisplaced = false;

  constructor(private readonly options: AriEventOptions) {
    super();
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.dispose();
    await this.running;
  }

  /** Listener count inside ari-client; stays flat however many channels come and go. */
  listenerFootprint(): number {
    const client = this.client;
    if (!client) return 0;
    const instance = Object.values(client._instanceListeners ?? {}).reduce((n, l) => n + l.length, 0);
    return instance + client.eventNames().reduce((n, name) => n + client.listenerCount(name), 0);
  }

  private async run(): Promise<void> {
    const heldRetryMs = this.options.heldRetryMs ?? 5000;
    let delay = this.options.minBackoffMs ?? 250;
    while (!this.stopped) {
      const holder = await this.otherHolder();
      if (holder) {
        this.emit('held', holder);
        await this.pause(heldRetryMs);
        continue;
      }
      let wait = delay;
      try {
        const lost = await this.connectOnce();
        delay = this.options.minBackoffMs ?? 250;
        const { error, displaced } = await lost;
        if (displaced) {
          this.isDisplaced = true;
          this.emit('displaced');
          // Whoever took the app is live right now. A CTICloud bridge answers the next check and is left
          // alone; one that does not answer (an earlier release, another client) loses it again after this.
          wait = heldRetryMs;
        } else this.emit('disconnected', error);
      } catch (err) {
        this.emit('disconnected', err as Error);
      }
      this.dispose();
      if (this.stopped) break;
      await this.pause(wait);
      delay = Math.min(delay * 2, this.options.maxBackoffMs ?? 5000);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      setTimeout(resolve, ms);
    });
  }

  /** The live bridge of another process that holds the app, if any. ARI not answering: connecting says why. */
  private async otherHolder(): Promise<AppOwner | undefined> {
    const me = this.options.owner;
    if (!me) return undefined;
    try {
      const holder = await findHolder(this.options, this.options.app);
      if (holder.state === 'unanswered') this.emit('unanswered');
      if (holder.state !== 'held') return undefined;
      const { owner } = holder;
      return owner.pid === me.pid && owner.host === me.host ? undefined : owner;
    } catch {
      return undefined;
    }
  }

  /** Resolves once connected, with a promise that settles when ari-client has given up for good. */
  private async connectOnce(): Promise<Promise<Lost>> {
    const client = await connectAri(this.options);
    // stop() may have run while we were connecting; it could not wake what did not exist yet.
    if (this.stopped) return Promise.resolve({});
    this.client = client;
    const lost = new Promise<Lost>((resolve) => {
      client.on('WebSocketMaxRetries', (err?: Error) =>
        resolve({ error: err ?? new Error('ARI WebSocket gave up') }),
      );
      // Asterisk keeps the WebSocket open and sends nothing more for the app: only this event says so.
      client.on('ApplicationReplaced', (event: AriEvent) => {
        if (event.application === this.options.app) resolve({ displaced: true });
      });
      this.wake = () => resolve({});
    });
    client.on('WebSocketReconnecting', (err?: Error) => {
      this.isConnected = false;
      this.emit('disconnected', err);
    });
    client.on('WebSocketConnected', () => {
      this.isConnected = true;
      this.isDisplaced = false;
      this.emit('connected');
    });
    client.on('*', (event: AriEvent) => this.onEvent(client, event));
    await client.start(this.options.app, this.options.subscribeAll ?? false);
    if (this.stopped) return Promise.resolve({});
    return lost;
  }

  private onEvent(client: RawAriClient, event: AriEvent): void {
    // Probes are questions to this process, not telephony: answered here, never published.
    if (isProbe(event)) {
      const me = this.options.owner;
      if (me) void answerProbe(this.options, this.options.app, event, me).catch(() => undefined);
      return;
    }
    this.emit('event', event);
    if (event.type === 'ChannelDestroyed' && event.channel) pruneInstanceListeners(client, event.channel.id);
  }

  private dispose(): void {
    this.isConnected = false;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    client.removeAllListeners();
    try {
      client.stop();
    } catch {
      // Already closed: nothing to release.
    }
  }
}

function pruneInstanceListeners(client: RawAriClient, instanceId: string): void {
  for (const [type, listeners] of Object.entries(client._instanceListeners ?? {})) {
    client._instanceListeners[type] = listeners.filter((l) => (l as { id?: string }).id !== instanceId);
    client.removeAllListeners(`${type}-${instanceId}`);
  }
}

/** Connects, retrying with a capped backoff until ARI answers; each failure is logged with its reason. */
export async function connectAriPersistently(
  options: AriOptions,
  onRetry: (err: Error, delayMs: number) => void,
  signal?: AbortSignal,
): Promise<RawAriClient> {
  let delay = 250;
  for (;;) {
    try {
      return await connectAri(options);
    } catch (err) {
      if (signal?.aborted) throw err;
      onRetry(err as Error, delay);
      // An abort ends the wait at once rather than after it.
      await new Promise<void>((r) => {
        const timer = setTimeout(r, delay);
        signal?.addEventListener('abort', () => (clearTimeout(timer), r()), { once: true });
      });
      if (signal?.aborted) throw err;
      delay = Math.min(delay * 2, 5000);
    }
  }
}
