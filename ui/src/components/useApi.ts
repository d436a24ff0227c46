import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';

/** GETs a resource, with a reload for after changes and the error kept for display. */
export function useApi<T>(path: string | null): {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  setData: (data: T) => void;
} {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    let current = true;
    setLoading(true);
    api<T>('GET', path)
      .then((result) => current && (setData(result), setError(undefined)))
      .catch((err: unknown) => current && setError(err))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData };
}
