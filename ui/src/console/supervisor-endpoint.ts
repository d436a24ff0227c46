import { useState } from 'react';

const STORAGE = 'cticloud.supervisorEndpoint';

/** The dial string monitor sessions ring (the supervisor's phone), remembered across sessions in this browser. */
export function useSupervisorEndpoint(): [string, (value: string) => void] {
  const [endpoint, setEndpoint] = useState(() => localStorage.getItem(STORAGE) ?? '');
  return [
    endpoint,
    (value) => {
      setEndpoint(value);
      localStorage.setItem(STORAGE, value);
    },
  ];
}
