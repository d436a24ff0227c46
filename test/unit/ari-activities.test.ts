import { MockActivityEnvironment } from '@temporalio/testing';
import { createAriActivities, type CollectDigitsInput, type PlayMediaResult } from '../../activities/ari';
import { FakeAri, FakeChannelEvents } from '../support/fakes';

const input = (over: Partial<CollectDigitsInput> = {}): CollectDigitsInput => ({
  channelId: 'c1',
  node: 'ast1',
  fromSeq: 1,
  prompt: ['sound:vm-enter-num-to-call'],
  maxDigits: 4,
  terminator: '#',
  firstDigitTimeoutMs: 300,
  interDigitTimeoutMs: 200,
  ...over,
});

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('collectDigits', () => {
  let events: FakeChannelEvents;
  let ari: FakeAri;
  let activities: ReturnType<typeof createAriActivities>;
  const env = new MockActivityEnvironment();

  beforeEach(() => {
    events = new FakeChannelEvents();
    ari = new FakeAri();
    activities = createAriActivities({ ari: ari.asCommands(), events });
  });

  test('the first digit stops the prompt (barge-in), and the terminator ends input without being kept', async () => {
    const result = env.run(activities.collectDigits, input());
    await tick();
    const playback = ari.lastPlaybackId();
    events.push('PlaybackStarted', {
      playback: { id: playback, target_uri: 'channel:c1', state: 'playing', media_uri: '' },
    });
    events.push('ChannelDtmfReceived', { digit: '4' });
    events.push('ChannelDtmfReceived', { digit: '2' });
    const terminatorSeq = events.push('ChannelDtmfReceived', { digit: '#' });
    await expect(result).resolves.toEqual({
      digits: '42',
      endedBy: 'terminator',
      nextSeq: terminatorSeq + 1,
    });
    expect(ari.commands).toContain(`stop ${playback}`);
  });

  test('stops at maxDigits', async () => {
    const result = env.run(activities.collectDigits, input({ maxDigits: 2, prompt: [] }));
    ['1', '2', '3'].forEach((digit) => events.push('ChannelDtmfReceived', { digit }));
    await expect(result).resolves.toMatchObject({ digits: '12', endedBy: 'max_digits' });
  });

  test('digits typed ahead, before the activity started, are not lost', async () => {
    events.push('StasisStart');
    events.push('ChannelDtmfReceived', { digit: '7' });
    events.push('ChannelDtmfReceived', { digit: '#' });
    await expect(env.run(activities.collectDigits, input({ prompt: [] }))).resolves.toMatchObject({
      digits: '7',
      endedBy: 'terminator',
    });
  });

  test('no digit after the prompt ends: a timeout counted from the end of the prompt', async () => {
    const started = Date.now();
    const result = env.run(activities.collectDigits, input({ firstDigitTimeoutMs: 300 }));
    await tick(150);
    events.push('PlaybackFinished', {
      playback: { id: ari.lastPlaybackId(), target_uri: 'channel:c1', state: 'done', media_uri: '' },
    });
    await expect(result).resolves.toMatchObject({ digits: '', endedBy: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(440);
  });

  test('an inter-digit pause longer than allowed ends input with what was typed', async () => {
    const started = Date.now();
    const result = env.run(
      activities.collectDigits,
      input({ prompt: [], firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 200 }),
    );
    events.push('ChannelDtmfReceived', { digit: '5' });
    await expect(result).resolves.toMatchObject({ digits: '5', endedBy: 'timeout' });
    // The 200 ms inter-digit timer ended it, not the 5 s first-digit one.
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('the caller hanging up ends collection', async () => {
    const result = env.run(activities.collectDigits, input());
    events.push('ChannelDtmfReceived', { digit: '3' });
    events.push('ChannelDestroyed', { cause: 16 });
    await expect(result).resolves.toMatchObject({ digits: '3', endedBy: 'hangup' });
  });

  test('a retried attempt stops the earlier prompt and ignores its PlaybackFinished', async () => {
    const retry = new MockActivityEnvironment({ attempt: 2 });
    const result = retry.run(activities.collectDigits, input({ firstDigitTimeoutMs: 5000 }));
    await tick();
    const current = ari.lastPlaybackId();
    expect(current).toMatch(/-prompt-2$/);
    const previous = current.replace(/-2$/, '-1');
    expect(ari.commands).toContain(`stop ${previous}`);
    // The first attempt's prompt finished before the crash: that event is still in the log.
    events.push('PlaybackFinished', {
      playback: { id: previous, target_uri: 'channel:c1', state: 'done', media_uri: '' },
    });
    events.push('ChannelDtmfReceived', { digit: '6' });
    events.push('ChannelDtmfReceived', { digit: '#' });
    await expect(result).resolves.toMatchObject({ digits: '6', endedBy: 'terminator' });
    // Still prompting when the digit came, so barge-in stopped the current prompt.
    expect(ari.commands).toContain(`stop ${current}`);
  });

  test('a channel that is gone fails for good (non-retryable ChannelGone)', async () => {
    ari.gone = true;
    await expect(env.run(activities.collectDigits, input())).rejects.toMatchObject({
      type: 'ChannelGone',
      nonRetryable: true,
    });
  });
});

describe('playMedia', () => {
  test('waits for its own playback to finish, ignoring others', async () => {
    const events = new FakeChannelEvents();
    const ari = new FakeAri();
    const { playMedia } = createAriActivities({ ari: ari.asCommands(), events });
    const env = new MockActivityEnvironment();
    let settled = false;
    const result = env.run(playMedia, {
      channelId: 'c1',
      node: 'ast1',
      fromSeq: 1,
      media: ['sound:goodbye'],
    });
    void result.then(() => (settled = true));
    await tick();
    events.push('PlaybackFinished', {
      playback: { id: 'someone-else', target_uri: 'channel:c1', state: 'done', media_uri: '' },
    });
    await tick();
    expect(settled).toBe(false);
    events.push('PlaybackFinished', {
      playback: { id: ari.lastPlaybackId(), target_uri: 'channel:c1', state: 'done', media_uri: '' },
    });
    await expect(result).resolves.toEqual({ outcome: 'finished', reached: 1, startedAt: [] });
  });

  test('a list cut by a hangup says which item was playing; a failed item alone is not a hangup', async () => {
    const events = new FakeChannelEvents();
    const ari = new FakeAri();
    const { playMedia } = createAriActivities({ ari: ari.asCommands(), events });
    const env = new MockActivityEnvironment();
    const media = ['sound:hello-world', 'digits:123', 'sound:beep'];
    const playback = (state: string) => ({
      playback: { id: ari.lastPlaybackId(), target_uri: 'channel:c1', state, media_uri: '' },
    });
    const cut = env.run(playMedia, { channelId: 'c1', node: 'ast1', fromSeq: 1, media });
    await tick();
    // Asterisk ends each item but the last with PlaybackContinuing and starts the next with PlaybackStarted.
    events.push('PlaybackStarted', playback('playing'));
    events.push('PlaybackContinuing', playback('continuing'));
    events.push('PlaybackStarted', playback('playing'));
    // A hangup stops the playback first, then the channel goes.
    events.push('PlaybackFinished', playback('failed'));
    events.push('StasisEnd', {});
    await expect(cut).resolves.toMatchObject({ outcome: 'hangup', reached: 1 });
    expect(((await cut) as PlayMediaResult).startedAt).toHaveLength(2);

    const events2 = new FakeChannelEvents();
    const { playMedia: play2 } = createAriActivities({ ari: ari.asCommands(), events: events2 });
    const failed = env.run(play2, { channelId: 'c1', node: 'ast1', fromSeq: 1, media: ['sound:missing'] });
    await tick();
    events2.push('PlaybackStarted', playback('playing'));
    events2.push('PlaybackFinished', playback('failed'));
    await expect(failed).resolves.toMatchObject({ outcome: 'finished', reached: 1 });
  });
});
