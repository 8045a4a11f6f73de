import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { paginate } from '../../common/pagination/pagination';
import { ActivityLogEntity } from './activity-log.entity';
import type { ActivityQuery } from './instances.dto';

/** Instance activity log (seeds: GET …/activity). */
@Injectable()
export class ActivityService {
  constructor(@InjectRepository(ActivityLogEntity) private readonly repo: Repository<ActivityLogEntity>) {}

  async log(
    instanceId: string,
    action: string,
    details: Record<string, unknown> = {},
    manager?: EntityManager,
  ): Promise<void> {
    await (manager ?? this.repo.manager).insert(ActivityLogEntity, {
      instanceId,
      action,
      details: details as never,
    });
  }

  async list(instanceId: string, q: ActivityQuery) {
    const qb = this.repo
      .createQueryBuilder('a')
      .where('a.instanceId = :instanceId', { instanceId })
      .orderBy('a.createdAt', 'DESC');
    if (q.actions?.length) qb.andWhere('a.action IN (:...actions)', { actions: q.actions });
    if (q.startDate) qb.andWhere('a.createdAt >= :start', { start: q.startDate });
    if (q.endDate) qb.andWhere('a.createdAt <= :end', { end: q.endDate });
    const page = await paginate(qb, q, 100);
    return { logs: page.items, pagination: page.pagination };
  }
}
