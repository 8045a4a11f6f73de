import type { Repository } from 'typeorm';
import { isAdmin, Principal } from '../../common/auth/principal';
import { NotFoundError } from '../../common/errors/app-error';
import type { InstanceEntity } from '../instances-core/instance.entity';
import { isUUID } from 'class-validator';

/**
 * The one way to load a tenant's instance (STYLE.md §8): scoped by the owner unless the caller
 * is an admin. Someone else's instance is a 404, never a 403, so ids don't leak.
 * @throws NotFoundError
 */
export async function findOwnedInstance(
  repo: Repository<InstanceEntity>,
  principal: Principal,
  id: string,
): Promise<InstanceEntity> {
  if (!isUUID(id)) throw new NotFoundError('Instance', id);
  const instance = await repo.findOne({
    where: isAdmin(principal) ? { id } : { id, userId: principal.userId },
  });
  if (!instance) throw new NotFoundError('Instance', id);
  return instance;
}
