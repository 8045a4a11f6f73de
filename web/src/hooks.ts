import { useCallback, useEffect, useEffectEvent, useState } from 'react';
import type { StreamEvent } from './api/event-stream';
import { useSession } from './session';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | null;
  /** A request for the current key (or a reload) has not answered yet. */
  loading: boolean;
  reload: () => void;
}

interface LoadState<T> {
  request: string | null;
  data?: T;
  error: Error | null;
}

/**
 * Loads `fetcher()` when `key` changes and on `reload()`; keeps the previous data while a reload
 * runs (no flicker) and drops answers that arrive after a newer request started.
 */
export function useLoad<T>(fetcher: () => Promise<T>, key: string): Loaded<T> {
  const [tick, setTick] = useState(0);
  const request = `${key}#${tick}`;
  const [state, setState] = useState<LoadState<T>>({ request: null, error: null });
  const load = useEffectEvent(fetcher);

  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setState({ request, data, error: null }),
      (e: unknown) =>
        current &&
        setState((s) => ({ request, data: s.data, error: e instanceof Error ? e : new Error(String(e)) })),
    );
    return () => {
      current = false;
    };
  }, [request]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.request !== request, reload };
}

/**
 * Calls `onEvent` for each live event of the dashboard's stream, and `onResync` after the stream
 * reconnected (events may have been missed meanwhile).
 */
export function useLiveEvents(onEvent: (e: StreamEvent) => void, onResync?: () => void): void {
  const { hub } = useSession();
  const handle = useEffectEvent(onEvent);
  const resync = useEffectEvent(() => onResync?.());
  useEffect(() => {
    const off = hub.subscribe((e) => handle(e));
    const offResync = hub.onResync(() => resync());
    return () => {
      off();
      offResync();
    };
  }, [hub]);
}
