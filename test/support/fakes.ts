import type { ChannelEventCursor, ChannelEventSource, SequencedEvent } from '../../activities/channel-events';
import type { AriCommands } from '../../asterisk/ari-commands';
import { ChannelGoneError } from '../../asterisk/ari-errors';
import type { AriEvent } from '../../asterisk/ari-events';

/** A channel's event log in memory: events are appended by the test, at any time, with increasing seqs. */
export class FakeChannelEvents implements ChannelEventSource {
  readonly log: SequencedEvent[] = [];
  private readonly listeners = new Set<() => void>();

  push(type: string, fields: Partial<AriEvent> = {}): number {
    const seq = this.log.length + 1;
    this.log.push({ seq, event: { type, timestamp: new Date().toISOString(), ...fields } });
    this.listeners.forEach((l) => l());
    return seq;
  }

  async position(): Promise<number> {
    return this.log.length + 1;
  }

  async open(
    _node: string,
    _channelId: string | readonly string[],
    fromSeq: number,
  ): Promise<ChannelEventCursor> {
    let next = Math.max(1, fromSeq);
    return {
      next: async (timeoutMs) => {
        if (!this.log[next - 1]) {
          await new Promise<void>((resolve) => {
            const wake = (): void => {
              clearTimeout(timer);
              this.listeners.delete(wake);
              resolve();
            };
            const timer = setTimeout(wake, timeoutMs);
            this.listeners.add(wake);
          });
        }
        const found = this.log[next - 1];
        if (found) next++;
        return found;
      },
      close: async () => undefined,
    };
  }
}

/** Records commands; plays "finish" only when the test says so. */
export class FakeAri {
  readonly commands: string[] = [];
  gone = false;

  asCommands(): AriCommands {
    const record = async (line: string) => {
      if (this.gone) throw new ChannelGoneError(line, 'c1');
      this.commands.push(line);
    };
    return {
      answer: (id: string) => record(`answer ${id}`),
      play: (id: string, media: readonly string[], playbackId: string) =>
        record(`play ${id} ${media.join(',')} ${playbackId}`),
      stopPlayback: (playbackId: string) => record(`stop ${playbackId}`),
      hangup: (id: string) => record(`hangup ${id}`),
    } as unknown as AriCommands;
  }

  /** The playback id of the last play command. */
  lastPlaybackId(): string {
    const play = [...this.commands].reverse().find((c) => c.startsWith('play '));
    return play!.split(' ')[3]!;
  }
}

/**
 * ARI commands that only record what they were asked (`originate <channelId>`, `<command> <first arg>`):
 * what retry tests count dials and hang-ups with.
 */
export function recordingAri(): { ari: AriCommands; commands: string[] } {
  const commands: string[] = [];
  const note =
    (name: string) =>
    async (...args: unknown[]) => {
      commands.push(`${name} ${typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0])}`);
      return { id: 'x' };
    };
  const ari = {
    originate: async (o: { channelId: string }) => {
      commands.push(`originate ${o.channelId}`);
      return { id: o.channelId };
    },
    ...Object.fromEntries(
      [
        'hangup',
        'play',
        'stopPlayback',
        'createBridge',
        'addToBridge',
        'recordBridge',
        'stopRecording',
        'destroyBridge',
      ].map((n) => [n, note(n)]),
    ),
  } as unknown as AriCommands;
  return { ari, commands };
}
