import type { InstanceEntity } from '../instances-core/instance.entity';
import type { InboundResult } from './normalized';

/*
 * The two seams every provider plugs its inbound side into (issue "One folder per provider").
 * An adapter implements `InboundWebhookSource` when the provider calls us over HTTP and/or
 * `ConnectionSource` when we hold a long-lived connection to it (Telegram getUpdates, Slack
 * Socket Mode, Discord Gateway, WhatsApp Web). The generic inbound pipeline and the connection
 * runtime do everything else (archive, normalize, ingest in one transaction, status, events,
 * leases, backoff, metrics), and name no provider.
 */

/** One verified provider event, ready for ConversationsService: already normalized. */
export interface InboundItem {
  /** The instance the event was verified for. */
  instance: { id: string; provider: string };
  /** The provider's own id for this event (dedupe key, unique per provider + instance). */
  providerEventId: string;
  /** The provider's object exactly as received (archived in `inbound_events`). */
  payload: object;
  result: InboundResult;
}

/** A provider webhook request as the pipeline received it. */
export interface InboundHttpRequest {
  /** Body bytes exactly as received: signatures are computed over these, never over re-serialized JSON. */
  rawBody: Buffer | undefined;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  /** `:instanceId` of the route, when the route has one. */
  instanceId?: string;
}

/** What storing one item came to (ConversationsService.ingestBatch), in the order of `items`. */
export interface InboundItemOutcome {
  /** The provider event was seen before (redelivery): nothing stored, nothing sent. */
  duplicate: boolean;
  stored: boolean;
  /** The instance was deleted meanwhile. */
  notFound?: boolean;
  messageId?: string;
  skipReason?: string;
}

/** An answer other than the default. */
export interface InboundWebhookResponse {
  status?: number;
  body: unknown;
  contentType?: string;
}

/**
 * What the pipeline answers: `items` are ingested in one transaction before `response` goes out.
 * `response` overrides the default `200 {ok, stored, duplicates, skipped}` (e.g. Slack's
 * `url_verification` challenge, a Discord interaction PONG); as a function it is called with the
 * items' outcomes once they are durable (Telegram answers with its one update's outcome) and may
 * throw an AppError (e.g. NotFoundError → 404).
 */
export interface InboundWebhookResult {
  items: InboundItem[];
  response?: InboundWebhookResponse | ((outcomes: InboundItemOutcome[]) => InboundWebhookResponse);
}

/** One public webhook route: `/webhooks/<path>`, or `/webhooks/<path>/:instanceId`. */
export interface WebhookRoute {
  path: string;
  withInstanceId: boolean;
  /**
   * Mounted at this absolute path instead (e.g. `/webhook`, a connector's own callback URL) and
   * handled exactly as the route `<path>` (an alias of it).
   */
  absolutePath?: string;
}

/**
 * A route with its OpenAPI decorators, declared on the adapter class (`static webhooks`): Nest
 * controllers are built before the app boots, so the generic inbound module mounts them from the
 * class, and every public path keeps its own documentation.
 */
export interface WebhookRouteDocs extends WebhookRoute {
  /** Decorators of `GET` (the handshake); absent → no GET route. */
  handshake?: MethodDecorator[];
  /** Decorators of `POST`. */
  receive: MethodDecorator[];
}

/**
 * Provider → gateway over HTTP. `routes` are mounted by the generic controller under
 * `/webhooks/<path>`; the public paths stay exactly as documented.
 * @throws UnauthorizedError (401) before anything is stored when the request is not the provider's
 *   (bad signature, stale timestamp); ForbiddenError (403) for a failed handshake.
 */
export interface InboundWebhookSource {
  readonly webhookRoutes: ReadonlyArray<WebhookRoute>;
  /** GET handshake (Meta `hub.challenge`): the text to echo. Absent → 404 for GET. */
  handshake?(req: InboundHttpRequest): Promise<string>;
  /** Verifies, routes to instance(s), splits into items and normalizes each. */
  receive(req: InboundHttpRequest): Promise<InboundWebhookResult>;
}

/** Lifecycle state a connection reports; the runtime turns it into status, events, metrics and log lines. */
export type ConnectionState =
  | { state: 'connecting' }
  | {
      state: 'waiting_for_qr';
      qr: string;
      expiresInMs?: number;
      /** Which QR of this login, from 1. */ attempt?: number;
    }
  | { state: 'waiting_for_pairing_code'; pairingCode: string }
  | { state: 'connected'; account?: Record<string, unknown> }
  | { state: 'disconnected'; reason: string; willReconnect: boolean }
  | { state: 'needs_reauth'; reason: string }
  /** Stopped for good by something only an operator can change (e.g. WhatsApp Web 403/405/411). */
  | { state: 'error'; reason: string };

/** What the runtime gives a running connection. */
export interface ConnectionContext {
  readonly instance: InstanceEntity;
  /** Aborted when the lease is lost, the instance is stopped or deleted, or the process shuts down. */
  readonly signal: AbortSignal;
  report(state: ConnectionState): void;
  /** Stores the items durably (one transaction); resolves after commit — ack the provider only then. */
  ingest(items: InboundItem[]): Promise<void>;
}

/**
 * Gateway → provider long-lived connection, one per instance across all processes (the runtime
 * holds a fenced Redis lease while `run` runs, only in worker processes).
 */
export interface ProviderConnection {
  /**
   * Runs until `ctx.signal` aborts (then resolves promptly, releasing sockets) or the connection
   * fails (then rejects; the runtime reconnects with capped exponential backoff and jitter unless
   * the error is a `ConnectionStop`).
   */
  run(ctx: ConnectionContext): Promise<void>;
}

/** Thrown by `run` when reconnecting is pointless until a user acts (logged out, credentials revoked). */
export class ConnectionStop extends Error {
  constructor(
    readonly reason: string,
    readonly status: 'needs_reauth' | 'disconnected' | 'error' = 'disconnected',
  ) {
    super(reason);
  }
}

export interface ConnectionSource {
  /** Ids of this provider's instances that want a long-lived connection now (re-read every few seconds). */
  connectionTargets(): Promise<string[]>;
  openConnection(instance: InstanceEntity): ProviderConnection;
}
