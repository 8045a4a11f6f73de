import { applyDecorators, Controller, Get, Header, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { RawBodyRequest, Type } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../common/auth/decorators';
import type { WebhookRouteDocs } from '../providers/provider-seams';
import { InboundPipelineService } from './inbound-pipeline.service';

/** An adapter class that takes provider webhooks declares its routes with their docs. */
export type WebhookSourceClass = { webhooks?: ReadonlyArray<WebhookRouteDocs> };

/**
 * One public controller per webhook path (`/webhooks/<path>`, `/webhooks/<path>/:instanceId`),
 * built from the adapter classes' static `webhooks` before the app boots (Nest controllers are
 * static): each route is documented with the provider's own OpenAPI decorators and handled by
 * InboundPipelineService. Operation ids stay `<Path>WebhookController_verify|receive[Instance]`.
 */
export function webhookControllers(classes: ReadonlyArray<WebhookSourceClass>): Type[] {
  const byPath = new Map<string, WebhookRouteDocs[]>();
  for (const route of classes.flatMap((c) => c.webhooks ?? [])) {
    byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);
  }
  return [...byPath].map(([path, routes]) => webhookController(path, routes));
}

function webhookController(path: string, routes: WebhookRouteDocs[]): Type {
  @ApiTags('provider webhooks')
  @Public()
  @Controller(`webhooks/${path}`)
  class WebhookController {
    constructor(readonly pipeline: InboundPipelineService) {}
  }
  Object.defineProperty(WebhookController, 'name', {
    value: `${path.charAt(0).toUpperCase()}${path.slice(1).replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}WebhookController`,
  });
  const shared = routes.some((r) => !r.withInstanceId);
  for (const route of routes) {
    const suffix = route.withInstanceId && shared ? 'Instance' : '';
    const sub = route.withInstanceId ? ':instanceId' : '';
    const { path: _, withInstanceId, handshake, receive } = route;
    const key = { path, withInstanceId };
    if (handshake) {
      mount(
        WebhookController,
        `verify${suffix}`,
        [Get(sub), Header('content-type', 'text/plain; charset=utf-8'), ...handshake],
        function (this: WebhookController, req: Request) {
          return this.pipeline.handshake(key, req);
        },
      );
    }
    mount(
      WebhookController,
      `receive${suffix}`,
      [Post(sub), HttpCode(200), ...receive],
      function (this: WebhookController, req: RawBodyRequest<Request>, res: Response) {
        return this.pipeline.receive(key, req, res);
      },
    );
  }
  return WebhookController;
}

/**
 * Defines `name` on the controller with `decorators` applied as if written above the method
 * (last first), and the request (and passthrough response) as its parameters.
 */
function mount(
  controller: Type,
  name: string,
  decorators: MethodDecorator[],
  handler: (...args: never[]) => unknown,
): void {
  const proto = controller.prototype as Record<string, unknown>;
  Object.defineProperty(proto, name, { value: handler, writable: true, configurable: true });
  Object.defineProperty(handler, 'name', { value: name });
  Req()(proto, name, 0);
  if (handler.length > 1) Res({ passthrough: true })(proto, name, 1);
  const descriptor = Object.getOwnPropertyDescriptor(proto, name)!;
  applyDecorators(...decorators)(proto, name, descriptor);
}
