import { isOpen, wallClock } from '../../domain/flow/hours';
import { nodeSpec } from '../../domain/flow/registry';

const params = nodeSpec('hours')!.params.parse({
  timeZone: 'America/New_York',
  weekly: [
    { days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '09:00', close: '17:00' },
    { days: ['sat'], open: '10:00', close: '13:00' },
  ],
  holidays: [{ date: '2026-11-26', name: 'Thanksgiving' }],
}) as Parameters<typeof isOpen>[0];

test.each([
  ['2026-11-25T14:00:00Z', true, 'Wednesday 09:00 in New York: opening minute'],
  ['2026-11-25T13:59:00Z', false, 'Wednesday 08:59'],
  ['2026-11-25T22:00:00Z', false, 'Wednesday 17:00: closing is exclusive'],
  ['2026-11-26T15:00:00Z', false, 'Thursday 10:00, a holiday'],
  ['2026-11-28T15:30:00Z', true, 'Saturday 10:30'],
  ['2026-11-29T15:30:00Z', false, 'Sunday'],
  ['2026-07-01T13:30:00Z', true, 'summer time: 09:30 EDT is 13:30 UTC'],
])('%s → open %s (%s)', (iso, open) => {
  expect(isOpen(params, new Date(iso))).toBe(open);
});

test('the wall clock is taken in the node time zone, across the date line', () => {
  expect(wallClock(new Date('2026-11-25T23:30:00Z'), 'Asia/Tokyo')).toEqual({
    date: '2026-11-26',
    weekday: 'thu',
    time: '08:30',
  });
});
