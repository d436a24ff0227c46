import { useEffect, useRef } from 'react';
import type { EventType } from '../../../lib/events/schemas';
import { api } from './client';

/** A domain event as the stream sends it (the envelope of lib/events/schemas). */
export interface DomainEvent<D = Record<string, unknown>> {
  id: string;
  type: EventType;
  tenantId: string;
  occurredAt: string;
  data: D;
}

/**
 * Subscribes to the tenant's event stream (GET /v1/events) for as long as the component is mounted.
 * EventSource cannot send the API key, so a short-lived stream token is minted first; when the stream
 * drops after the token has expired, a new token is minted and the stream resumes from the last event id.
 */
export function useEventStream(types: readonly EventType[], onEvent: (event: DomainEvent) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const typeList = types.join(',');

  useEffect(() => {
    let source: EventSource | undefined;
    let closed = false;
    let lastEventId: string | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;

    const open = async () => {
      try {
        const { token } = await api<{ token: string }>('POST', '/v1/events/token');
        if (closed) return;
        const query = new URLSearchParams({ types: typeList, access_token: token });
        if (lastEventId) query.set('lastEventId', lastEventId);
        source = new EventSource(`/v1/events?${query}`);
        const listener = (message: MessageEvent<string>) => {
          lastEventId = message.lastEventId || lastEventId;
          handler.current(JSON.parse(message.data) as DomainEvent);
        };
        for (const type of typeList.split(',')) source.addEventListener(type, listener);
        source.onerror = () => {
          // EventSource retries by itself with the same URL; once the token is stale that cannot work.
          if (source?.readyState === EventSource.CLOSED) reopen();
        };
      } catch {
        reopen();
      }
    };
    const reopen = () => {
      source?.close();
      if (!closed) retry = setTimeout(() => void open(), 3000);
    };
    void open();
    return () => {
      closed = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [typeList]);
}
