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

/** Formatters are costly to build and SLA clocks ask thousands of times: one per time zone. */
const formatters = new Map<string, Intl.DateTimeFormat>();
const formatterFor = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
};

/** The wall clock in a time zone: date (YYYY-MM-DD), weekday and HH:MM. */
export function wallClock(at: Date, timeZone: string): { date: string; weekday: string; time: string } {
  const parts = Object.fromEntries(
    formatterFor(timeZone)
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

/**
 * The first minute at or after `from` when the hours are open, or undefined when they do not open within
 * `withinDays`. Steps by 15 minutes, then back by minutes: opening times are on the minute.
 */
export function nextOpening(params: HoursParams, from: Date, withinDays = 14): Date | undefined {
  if (isOpen(params, from)) return from;
  const step = 15 * 60_000;
  const start = Math.ceil(from.getTime() / 60_000) * 60_000;
  for (let t = start; t <= from.getTime() + withinDays * 86_400_000; t += step) {
    if (!isOpen(params, new Date(t))) continue;
    let open = t;
    while (open - 60_000 > from.getTime() && isOpen(params, new Date(open - 60_000))) open -= 60_000;
    return new Date(open);
  }
  return undefined;
}

/** Business hours for clocks: undefined means around the clock. */
export type Calendar = HoursParams | undefined;

/** Milliseconds of open time between two instants (by whole minutes' open state). */
export function businessMsBetween(calendar: Calendar, from: Date, to: Date): number {
  if (to <= from) return 0;
  if (!calendar) return to.getTime() - from.getTime();
  let total = 0;
  for (let t = from.getTime(); t < to.getTime();) {
    const minuteEnd = Math.min(Math.floor(t / 60_000) * 60_000 + 60_000, to.getTime());
    if (isOpen(calendar, new Date(t))) total += minuteEnd - t;
    t = minuteEnd;
  }
  return total;
}

/** The instant when `ms` of open time have passed after `from`, or undefined beyond `withinDays`. */
export function addBusinessMs(calendar: Calendar, from: Date, ms: number, withinDays = 60): Date | undefined {
  if (!calendar) return new Date(from.getTime() + ms);
  let left = ms;
  const limit = from.getTime() + withinDays * 86_400_000;
  for (let t = from.getTime(); t < limit;) {
    const minuteEnd = Math.floor(t / 60_000) * 60_000 + 60_000;
    if (isOpen(calendar, new Date(t))) {
      if (minuteEnd - t >= left) return new Date(t + left);
      left -= minuteEnd - t;
    }
    t = minuteEnd;
  }
  return undefined;
}
