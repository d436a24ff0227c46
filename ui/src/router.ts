import { useEffect, useState } from 'react';

/** Pages are addressed by the URL hash (`#/flows/<id>`), so the gateway serves one index.html for all. */
export function useHashRoute(): string[] {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

export const navigate = (path: string): void => {
  window.location.hash = path.startsWith('/') ? path : `/${path}`;
};

export const href = (path: string): string => `#${path.startsWith('/') ? path : `/${path}`}`;
