import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { jetstream } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { AppError, NotFoundError, ProviderError } from '../../common/errors/app-error';
import { MessagesService } from '../messages/messages.service';
import { ProviderRegistry } from '../providers/provider-registry';
import { NatsConnectionService } from './nats-connection.service';
import { ACTIONS, NatsCommand, parseCommand } from './nats-requests';
import { subjectToken } from './subjects';

/** Queue group of every `out` subscription: each request goes to one worker process. */
export const NATS_QUEUE_GROUP = 'switchboard';

/** An error reply (and `.error` publication): the seed's `{action, code, message, type, request}`. */
export interface NatsErrorReply {
  action: string;
  /** Provider errors: the provider's code (Graph `error.code`, e.g. 131030); ours: our code (`validation_failed`). */
  code: number | string;
  message: string;
  /** Provider errors: the provider's type (Graph `OAuthException`); ours: `switchboard`. */
  type: string;
  /** The request body as received (parsed JSON, or the text when it was not JSON). */
  request: unknown;
  /** Our own errors only: each bad field and why. */
  errors?: { field: string; message: string }[];
}

/**
 * NATS request/reply (issue 13; README § NATS): one queue-group subscription per provider on
 * `<p>.*.out.>` in every worker process, so N processes share the requests. Each request acts as
 * the instance's owner and goes through the same services as REST: `send*` through
 * MessagesService.send (validated, stored, counted, limited, `message_sent` evented, idempotent
 * on the `Nats-Msg-Id` header), `markRead` and `raw` through MessagesService.
 * Replies: providers whose NatsMapping has `seedRequests` (the connector seed's bodies) — the
 * provider API's response JSON; other providers — the message as `GET …/messages/:id` shows it. Errors reply `{action, code, message, type, request}`;
 * provider errors are also published on `<p>.<slug>.error`.
 */
@Injectable()
export class NatsRequestHandlerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(NatsRequestHandlerService.name);
  private readonly subs: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly conn: NatsConnectionService,
    private readonly providers: ProviderRegistry,
    private readonly messages: MessagesService,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.conn.enabled) return;
    void this.conn.connection().then((nc) => {
      if (this.stopped) return;
      for (const adapter of this.providers.adapters) {
        const provider = adapter.key;
        const sub = nc.subscribe(`${subjectToken(provider, adapter)}.*.out.>`, {
          queue: NATS_QUEUE_GROUP,
          callback: (err, msg) => {
            if (err) return this.logger.warn({ err: err.message }, 'NATS subscription error');
            const p = this.handle(nc, provider, msg).finally(() => this.inFlight.delete(p));
            this.inFlight.add(p);
          },
        });
        this.subs.push(sub);
      }
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const sub of this.subs) sub.unsubscribe();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Answers one request; never throws. */
  async handle(nc: NatsConnection, provider: string, msg: Msg): Promise<void> {
    const [, slug, , action, ...extra] = msg.subject.split('.');
    // the connector seed's bodies and the provider API's own replies (NatsMapping.seedRequests)
    const seed = this.providers.find(provider)?.nats?.seedRequests;
    let request: unknown = msg.string();
    try {
      request = msg.data.length ? JSON.parse(msg.string()) : {};
    } catch {
      return this.replyError(nc, msg, provider, slug, false, {
        action,
        code: 'validation_failed',
        message: 'The request body is not JSON',
        type: 'switchboard',
        request,
        errors: [{ field: 'body', message: 'not JSON' }],
      });
    }
    try {
      if (extra.length || !(ACTIONS as readonly string[]).includes(action)) {
        throw new NotFoundError('Action', `${action}${extra.length ? `.${extra.join('.')}` : ''}`);
      }
      const command = await parseCommand(action, request, !!seed);
      const { instanceId, principal } = await this.owner(provider, slug);
      const reply = await this.run(
        command,
        principal,
        instanceId,
        seed,
        msg.headers?.get('Nats-Msg-Id') || undefined,
      );
      if (msg.reply) msg.respond(JSON.stringify(reply));
    } catch (err) {
      await this.replyError(
        nc,
        msg,
        provider,
        slug,
        err instanceof ProviderError,
        errorReply(action, request, err),
      );
      if (!(err instanceof AppError)) this.logger.error({ err, subject: msg.subject }, 'NATS request failed');
    }
  }

  private async run(
    command: NatsCommand,
    principal: Principal,
    instanceId: string,
    seed: { markReadReply: Record<string, unknown> } | undefined,
    idempotencyKey: string | undefined,
  ): Promise<unknown> {
    switch (command.kind) {
      case 'send': {
        const view = await this.messages.send(principal, instanceId, command.message, idempotencyKey);
        if (!seed) return view;
        // the seed replies with the Graph API's response, which the send stored as the message's raw
        const [row] = await this.db.query('SELECT raw FROM messages WHERE id = $1', [view.id]);
        return row?.raw ?? {};
      }
      case 'markRead': {
        const result = await this.messages.markRead(principal, instanceId, command.messageId);
        return seed ? seed.markReadReply : result;
      }
      case 'raw':
        return this.messages.raw(principal, instanceId, command.request);
    }
  }

  /**
   * The instance `<slug>` of `provider` and its owner as the principal (NATS access is access to
   * every instance on that NATS account: scope it with NATS permissions per `<p>.<slug>.>`).
   * @throws NotFoundError when there is no such instance or its owner is deactivated.
   */
  private async owner(provider: string, slug: string): Promise<{ instanceId: string; principal: Principal }> {
    const [row] = await this.db.query(
      `SELECT i.id, u.id AS "userId", u.email FROM instances i JOIN users u ON u.id = i.user_id
        WHERE i.provider = $1 AND i.slug = $2 AND u.is_active`,
      [provider, slug],
    );
    if (!row) throw new NotFoundError('Instance', `${this.token(provider)}.${slug}`);
    // the owner's own rights (role `user`): the instance is theirs, nothing of other tenants is reachable
    return {
      instanceId: row.id,
      principal: { userId: row.userId, email: row.email, role: 'user', via: 'nats' },
    };
  }

  private token(provider: string): string {
    return subjectToken(provider, this.providers.find(provider));
  }

  private async replyError(
    nc: NatsConnection,
    msg: Msg,
    provider: string,
    slug: string,
    fromProvider: boolean,
    reply: NatsErrorReply,
  ): Promise<void> {
    const body = JSON.stringify(reply);
    if (msg.reply) msg.respond(body);
    if (!fromProvider) return;
    // provider errors also go to `<p>.<slug>.error` (in the stream: durable for subscribers that were away)
    const id = msg.headers?.get('Nats-Msg-Id');
    const subject = `${this.token(provider)}.${slug}.error`;
    try {
      await jetstream(nc, { timeout: 5000 }).publish(subject, body, { msgID: `err:${id || randomUUID()}` });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, subject }, 'could not publish the error on NATS');
    }
  }
}

/** Our error → the seed's error reply. */
export function errorReply(action: string, request: unknown, err: unknown): NatsErrorReply {
  if (err instanceof ProviderError) {
    const graph = err.extra.graphError as { code?: number | null; type?: string | null } | undefined;
    return {
      action,
      code: graph?.code ?? err.providerCode ?? err.code,
      // Graph's own `error.message` (the description adds ` — <error_data.details>` after it)
      message: err.providerDescription?.split(' — ')[0] ?? err.message,
      type: graph?.type ?? err.code,
      request,
    };
  }
  if (err instanceof AppError) {
    const errors = err.extra.errors as { field: string; message: string }[] | undefined;
    return {
      action,
      code: err.code,
      message: err.message,
      type: 'switchboard',
      request,
      ...(errors ? { errors } : {}),
    };
  }
  return { action, code: 'internal_error', message: 'The request failed', type: 'switchboard', request };
}
