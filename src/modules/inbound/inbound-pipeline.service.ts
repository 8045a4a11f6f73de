import { Injectable, Logger } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import type { Request, Response } from 'express';
import { NotFoundError } from '../../common/errors/app-error';
import { ConversationsService } from '../messages/conversations.service';
import { ProviderRegistry } from '../providers/provider-registry';
import type { InboundHttpRequest, InboundWebhookSource, WebhookRoute } from '../providers/provider-seams';

/** The default answer to a provider webhook POST once every item is durable. */
export interface InboundCounts {
  ok: true;
  /** Items stored (messages, statuses). */
  stored: number;
  /** Items seen before (redeliveries): acknowledged, nothing stored. */
  duplicates: number;
  /** Items not stored (kinds we do not handle, deleted instances); logged. */
  skipped: number;
}

const isWebhookSource = (a: object): a is InboundWebhookSource =>
  'receive' in a && 'webhookRoutes' in a && Array.isArray((a as InboundWebhookSource).webhookRoutes);

/**
 * Provider → gateway over HTTP, for every provider alike (DESIGN.md §4 Receive): the adapter that
 * owns the route verifies the request (401/403 before anything is stored), routes it to its
 * instance(s) and normalizes it into items (InboundWebhookSource.receive); every item of the
 * request is then stored in ONE transaction (ConversationsService.ingestBatch), with the raw body
 * archived once per instance addressed (`inbound_requests`, referenced by the items), before the
 * provider gets its answer: the adapter's `response`, or `200 {ok, stored, duplicates, skipped}`.
 */
@Injectable()
export class InboundPipelineService {
  private readonly logger = new Logger(InboundPipelineService.name);
  /** `<path>` or `<path>/:instanceId` → its adapter. */
  private readonly sources = new Map<string, InboundWebhookSource>();

  constructor(
    registry: ProviderRegistry,
    private readonly conversations: ConversationsService,
  ) {
    for (const adapter of registry.adapters) {
      if (!isWebhookSource(adapter)) continue;
      for (const route of adapter.webhookRoutes) this.sources.set(routeKey(route), adapter);
    }
  }

  /** GET: the handshake's text to echo. @throws NotFoundError (404) for a route without one. */
  async handshake(route: WebhookRoute, req: Request): Promise<string> {
    const source = this.source(route);
    if (!source.handshake) throw new NotFoundError('Webhook handshake', `/webhooks/${route.path}`);
    return source.handshake(inboundRequest(route, req));
  }

  /**
   * POST: verify, split and normalize (the adapter), store every item in one transaction, answer.
   * Skipped items are logged with their reason.
   */
  async receive(route: WebhookRoute, req: RawBodyRequest<Request>, res: Response): Promise<unknown> {
    const result = await this.source(route).receive(inboundRequest(route, req));
    const outcomes = await this.conversations.ingestBatch(result.items, req.rawBody);
    const counts: InboundCounts = { ok: true, stored: 0, duplicates: 0, skipped: 0 };
    outcomes.forEach((o, i) => {
      if (o.duplicate) counts.duplicates += 1;
      else if (o.stored) counts.stored += 1;
      else {
        counts.skipped += 1;
        const { instance, providerEventId } = result.items[i];
        const reason = o.skipReason ?? (o.notFound ? 'instance_not_found' : 'not_stored');
        this.logger.log({ instanceId: instance.id, providerEventId, reason }, 'webhook item skipped');
      }
    });
    const response = typeof result.response === 'function' ? result.response(outcomes) : result.response;
    if (!response) return counts;
    if (response.status) res.status(response.status);
    if (response.contentType) res.type(response.contentType);
    return response.body;
  }

  private source(route: WebhookRoute): InboundWebhookSource {
    const source = this.sources.get(routeKey(route));
    if (!source) throw new NotFoundError('Webhook route', `/webhooks/${route.path}`);
    return source;
  }
}

const routeKey = (r: WebhookRoute): string => (r.withInstanceId ? `${r.path}/:instanceId` : r.path);

/** What the adapter sees of the request: raw bytes, lower-cased headers, query, `:instanceId`. */
function inboundRequest(route: WebhookRoute, req: RawBodyRequest<Request>): InboundHttpRequest {
  return {
    rawBody: req.rawBody,
    headers: req.headers,
    query: req.query as Record<string, unknown>,
    ...(route.withInstanceId ? { instanceId: String(req.params.instanceId) } : {}),
  };
}
