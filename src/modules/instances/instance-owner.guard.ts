import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Request } from 'express';
import { Repository } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { findOwnedInstance } from './instance-access';
import { InstanceEntity } from '../instances-core/instance.entity';

export type RequestWithInstance = Request & { user: Principal; instance?: InstanceEntity };

/**
 * Loads the `:id` instance of the caller (404 otherwise) before interceptors and the handler run,
 * and puts it on `req.instance`. For streaming routes (SSE), whose response starts as soon as the
 * handler's observable is subscribed: a 404 must be decided before that.
 */
@Injectable()
export class InstanceOwnerGuard implements CanActivate {
  constructor(@InjectRepository(InstanceEntity) private readonly instances: Repository<InstanceEntity>) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<RequestWithInstance>();
    req.instance = await findOwnedInstance(this.instances, req.user, String(req.params.id));
    return true;
  }
}
