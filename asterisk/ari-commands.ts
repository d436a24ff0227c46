import type { RawAriClient } from 'ari-client';
import { AriCommandError, ChannelGoneError } from './ari-errors';

export interface OriginateParams {
  endpoint: string;
  app?: string;
  appArgs?: string;
  context?: string;
  extension?: string;
  priority?: number;
  callerId?: string;
  timeout?: number;
  channelId?: string;
  otherChannelId?: string;
  /** Codecs offered to the new channel, e.g. `ulaw`: Local channels default to slin192 otherwise. */
  formats?: string;
  variables?: Record<string, string>;
}

/** ARI REST commands, typed, with ARI's answers turned into our errors. Built on a loaded ari-client. */
export class AriCommands {
  constructor(private readonly client: RawAriClient) {}

  async answer(channelId: string): Promise<void> {
    await this.onChannel('channels.answer', channelId, () => this.client.channels.answer!({ channelId }));
  }

  async play(channelId: string, media: readonly string[], playbackId: string): Promise<void> {
    await this.onChannel('channels.play', channelId, () =>
      this.client.channels.play!({ channelId, media: media.join(','), playbackId }),
    );
  }

  /** Stops a playback; one that already finished is not an error. */
  async stopPlayback(playbackId: string): Promise<void> {
    await this.run('playbacks.stop', () => this.client.playbacks.stop!({ playbackId })).catch(
      (err: unknown) => {
        if (!(err instanceof AriCommandError && err.status === 404)) throw err;
      },
    );
  }

  /** Hangs up; a channel that is already gone is not an error. */
  async hangup(channelId: string, reason = 'normal'): Promise<void> {
    await this.onChannel('channels.hangup', channelId, () =>
      this.client.channels.hangup!({ channelId, reason }),
    ).catch((err: unknown) => {
      if (!(err instanceof ChannelGoneError)) throw err;
    });
  }

  async originate(params: OriginateParams): Promise<{ id: string }> {
    const { variables, ...rest } = params;
    const channel = (await this.run('channels.originate', () =>
      this.client.channels.originate!({ ...rest, variables: variables ? { variables } : undefined }),
    )) as { id: string };
    return { id: channel.id };
  }

  async getChannel(channelId: string): Promise<{ id: string; state: string }> {
    const channel = (await this.onChannel('channels.get', channelId, () =>
      this.client.channels.get!({ channelId }),
    )) as { id: string; state: string };
    return { id: channel.id, state: channel.state };
  }

  async listChannels(): Promise<{ id: string; name: string; state: string }[]> {
    const list = (await this.run('channels.list', () => this.client.channels.list!())) as {
      id: string;
      name: string;
      state: string;
    }[];
    return list.map(({ id, name, state }) => ({ id, name, state }));
  }

  /** Records what the caller says into Asterisk's recording store; RecordingFinished/Failed follow. */
  async record(
    channelId: string,
    options: { name: string; maxDurationSeconds: number; maxSilenceSeconds: number; beep: boolean },
  ): Promise<void> {
    await this.onChannel('channels.record', channelId, () =>
      this.client.channels.record!({
        channelId,
        name: options.name,
        format: 'wav',
        maxDurationSeconds: options.maxDurationSeconds,
        maxSilenceSeconds: options.maxSilenceSeconds,
        beep: options.beep,
        terminateOn: '#',
        ifExists: 'overwrite',
      }),
    );
  }

  /** Stops a live recording; one that already ended is not an error. */
  async stopRecording(name: string): Promise<void> {
    await this.run('recordings.stop', () => this.client.recordings.stop!({ recordingName: name })).catch(
      (err: unknown) => {
        if (!(err instanceof AriCommandError && err.status === 404)) throw err;
      },
    );
  }

  async startMoh(channelId: string, mohClass = 'default'): Promise<void> {
    await this.onChannel('channels.startMoh', channelId, () =>
      this.client.channels.startMoh!({ channelId, mohClass }),
    );
  }

  async stopMoh(channelId: string): Promise<void> {
    await this.onChannel('channels.stopMoh', channelId, () => this.client.channels.stopMoh!({ channelId }));
  }

  /** Makes (or finds, on a retry) a mixing bridge with this id. */
  async createBridge(bridgeId: string): Promise<void> {
    await this.run('bridges.createWithId', () =>
      this.client.bridges.createWithId!({ bridgeId, type: 'mixing', name: bridgeId }),
    );
  }

  /** Records the bridge's mix, both parties, into Asterisk's recording store. */
  async recordBridge(bridgeId: string, name: string): Promise<void> {
    await this.run('bridges.record', () =>
      this.client.bridges.record!({ bridgeId, name, format: 'wav', ifExists: 'append', beep: false }),
    );
  }

  /** Snoops on a channel into our app: what the supervisor hears (spy) or says (whisper). */
  async snoop(
    channelId: string,
    options: {
      snoopId: string;
      spy: 'none' | 'both' | 'out' | 'in';
      whisper: 'none' | 'both' | 'out' | 'in';
      app: string;
      appArgs: string;
    },
  ): Promise<void> {
    await this.onChannel('channels.snoopChannelWithId', channelId, () =>
      this.client.channels.snoopChannelWithId!({ channelId, ...options }),
    );
  }

  async addToBridge(bridgeId: string, channelIds: readonly string[]): Promise<void> {
    await this.run('bridges.addChannel', () =>
      this.client.bridges.addChannel!({ bridgeId, channel: channelIds.join(',') }),
    );
  }

  /** Destroys a bridge; one already gone is not an error. */
  async destroyBridge(bridgeId: string): Promise<void> {
    await this.run('bridges.destroy', () => this.client.bridges.destroy!({ bridgeId })).catch(
      (err: unknown) => {
        if (!(err instanceof AriCommandError && err.status === 404)) throw err;
      },
    );
  }

  async info(): Promise<{ version: string }> {
    const info = (await this.run('asterisk.getInfo', () => this.client.asterisk.getInfo!())) as {
      system: { version: string };
    };
    return { version: info.system.version };
  }

  private async onChannel<T>(operation: string, channelId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await this.run(operation, call);
    } catch (err) {
      if (err instanceof AriCommandError && (err.status === 404 || /not found/i.test(err.detail))) {
        throw new ChannelGoneError(operation, channelId);
      }
      throw err;
    }
  }

  private async run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw toCommandError(operation, err);
    }
  }
}

/** ari-client rejects with `new Error(<response body>)`; ARI's bodies are `{"message": …}`. */
function toCommandError(operation: string, err: unknown): AriCommandError {
  const text = err instanceof Error ? err.message : String(err);
  let detail = text;
  try {
    detail = (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    // Not JSON: a transport error such as ECONNREFUSED.
  }
  const status = /not found/i.test(detail)
    ? 404
    : /not in stasis/i.test(detail)
      ? 409
      : /ECONNREFUSED|ECONNRESET|socket hang up/.test(detail)
        ? undefined
        : 400;
  return new AriCommandError(operation, detail, status);
}
