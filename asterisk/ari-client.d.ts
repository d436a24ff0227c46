// The slice of ari-client's untyped API that asterisk/ari.ts uses; nothing else should import ari-client.
declare module 'ari-client' {
  import type { EventEmitter } from 'node:events';

  type Params = Record<string, unknown>;
  type Operation = (params?: Params) => Promise<unknown>;

  export interface RawAriClient extends EventEmitter {
    channels: Record<string, Operation>;
    bridges: Record<string, Operation>;
    playbacks: Record<string, Operation>;
    recordings: Record<string, Operation>;
    applications: Record<string, Operation>;
    asterisk: Record<string, Operation>;
    start(apps: string | string[], subscribeAll?: boolean): Promise<void>;
    stop(): void;
    _instanceListeners: Record<string, unknown[]>;
  }

  export function connect(url: string, user: string, password: string): Promise<RawAriClient>;
}
