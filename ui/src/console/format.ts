import { useEffect, useState } from 'react';

/** Re-renders every `ms` so durations tick without refetching. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** 75 → "1:15", 3700 → "1:01:40". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export const since = (iso: string | null | undefined, now: number): string =>
  iso ? duration((now - Date.parse(iso)) / 1000) : '';

export const time = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : '—';

export const dateTime = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString([], { hour12: false }) : '—';

export const percent = (ratio: number | null | undefined): string =>
  ratio === null || ratio === undefined ? '—' : `${Math.round(ratio * 100)}%`;

/** Periodic refresh while mounted: the event stream is fast, this is the safety net for what it missed. */
export function useInterval(callback: () => void, ms: number): void {
  useEffect(() => {
    const timer = setInterval(callback, ms);
    return () => clearInterval(timer);
  }, [callback, ms]);
}
