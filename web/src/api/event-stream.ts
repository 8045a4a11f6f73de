import { EventSourceParserStream } from 'eventsource-parser/stream';
import { authHeaders } from './client';

/**
 * An event as the stream carries it: the webhook envelope `{id, event, instanceId, provider,
 * sequence, data, timestamp}` (README, Webhook events). Read with the guards below, since the
 * stream's payload is not part of the OpenAPI schemas.
 */
export interface StreamEvent {
  event: string;
  instanceId: string;
  sequence: number;
  data: Record<string, unknown>;
}

export type StreamListener = (e: StreamEvent) => void;
/** Told when the stream (re)connects: events may have been missed, so views reload. */
export type ResyncListener = () => void;

function parse(raw: string): StreamEvent | null {
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    if (typeof v.event !== 'string' || typeof v.instanceId !== 'string') return null;
    const data = v.data && typeof v.data === 'object' ? (v.data as Record<string, unknown>) : {};
    return { event: v.event, instanceId: v.instanceId, sequence: Number(v.sequence), data };
  } catch {
    return null;
  }
}

/**
 * One connection to `GET /api/events/stream` for the whole dashboard (the caller's instances).
 * EventSource cannot send an Authorization header, so this reads the stream with fetch and parses
 * it with eventsource-parser; it reconnects with a growing delay (1 s … 15 s) until closed.
 */
export class EventHub {
  private readonly listeners = new Set<StreamListener>();
  private readonly resyncs = new Set<ResyncListener>();
  private abort: AbortController | null = null;
  private connected = false;

  start(): void {
    if (this.abort) return;
    this.abort = new AbortController();
    void this.run(this.abort.signal);
  }

  stop(): void {
    this.abort?.abort();
    this.abort = null;
  }

  subscribe(listener: StreamListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onResync(listener: ResyncListener): () => void {
    this.resyncs.add(listener);
    return () => this.resyncs.delete(listener);
  }

  private async run(signal: AbortSignal): Promise<void> {
    let delay = 1000;
    while (!signal.aborted) {
      try {
        const res = await fetch('/api/events/stream', {
          headers: { accept: 'text/event-stream', ...authHeaders() },
          signal,
        });
        if (!res.ok || !res.body) throw new Error(`event stream: HTTP ${res.status}`);
        if (this.connected) for (const r of this.resyncs) r();
        this.connected = true;
        delay = 1000;
        const reader = res.body
          .pipeThrough(new TextDecoderStream())
          .pipeThrough(new EventSourceParserStream())
          .getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const event = parse(value.data);
          if (event) for (const l of this.listeners) l(event);
        }
      } catch {
        if (signal.aborted) return;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  }
}
