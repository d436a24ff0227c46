import type { z } from 'zod';
import type { hours } from './nodes/logic';

type HoursParams = z.infer<typeof hours.params>;

const WEEKDAYS = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
} as const;

/** The wall clock in a time zone: date (YYYY-MM-DD), weekday and HH:MM. */
export function wallClock(at: Date, timeZone: string): { date: string; weekday: string; time: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: WEEKDAYS[parts.weekday as keyof typeof WEEKDAYS],
    time: `${parts.hour}:${parts.minute}`,
  };
}

/** Open when a weekly range covers the local time and the local date is no holiday; `close` is exclusive. */
export function isOpen(params: HoursParams, at: Date): boolean {
  const local = wallClock(at, params.timeZone);
  if (params.holidays.some((h) => h.date === local.date)) return false;
  return params.weekly.some(
    (r) => (r.days as string[]).includes(local.weekday) && r.open <= local.time && local.time < r.close,
  );
}
