import { nextAttemptAt } from '../../domain/callback/schedule';
import { START_DELAY_FROM_MS, scheduledStatus } from '../../lib/callbacks';

const now = new Date('2026-12-07T10:00:00Z'); // a Monday
const base = { retryDelaysSec: [60, 300] };

test('the first attempt is now, or at `earliest` when that is later', () => {
  expect(nextAttemptAt(base, [], now)).toEqual(now);
  expect(nextAttemptAt({ ...base, earliest: '2026-12-07T09:00:00Z' }, [], now)).toEqual(now);
  expect(nextAttemptAt({ ...base, earliest: '2026-12-08T08:30:00Z' }, [], now)?.toISOString()).toBe(
    '2026-12-08T08:30:00.000Z',
  );
});

test('retries wait their delay after the last attempt ended; the last delay repeats', () => {
  const ended = (iso: string) => ({ endedAt: iso });
  const one = [ended('2026-12-07T09:59:30Z')];
  expect(nextAttemptAt(base, one, now)?.toISOString()).toBe('2026-12-07T10:00:30.000Z');
  const three = [ended('2026-12-07T09:00:00Z'), ended('2026-12-07T09:30:00Z'), ended('2026-12-07T09:58:00Z')];
  expect(nextAttemptAt(base, three, now)?.toISOString()).toBe('2026-12-07T10:03:00.000Z');
});

test('calling hours move the attempt to the next opening, and `latest` can leave no time at all', () => {
  const hours = {
    timeZone: 'Europe/Berlin',
    weekly: [{ days: ['mon', 'tue'] as ('mon' | 'tue')[], open: '13:00', close: '17:00' }],
    holidays: [],
  };
  expect(nextAttemptAt({ ...base, hours }, [], now)?.toISOString()).toBe('2026-12-07T12:00:00.000Z');
  expect(nextAttemptAt({ ...base, hours, latest: '2026-12-07T11:00:00Z' }, [], now)).toBeUndefined();
  expect(nextAttemptAt({ ...base, latest: '2026-12-07T09:00:00Z' }, [], now)).toBeUndefined();
});

test('before the workflow runs, its status is what its first task would say', () => {
  const request = {
    tenantId: 't',
    number: '100',
    queueId: 'q',
    earliest: new Date(now.getTime() + START_DELAY_FROM_MS * 10).toISOString(),
    maxAttempts: 3,
    ...base,
    priority: 0,
  };
  expect(scheduledStatus({ callbackId: 'c', request, createdAt: now.toISOString() }, now)).toEqual({
    callbackId: 'c',
    request,
    state: 'scheduled',
    attempts: [],
    createdAt: now.toISOString(),
    nextAttemptAt: request.earliest,
  });
});
