import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { PrincipalCache } from '../../common/auth/principal-cache';
import { randomToken, sha256Hex } from '../../common/crypto/tokens';
import { NotFoundError } from '../../common/errors/app-error';
import { ApiKeyEntity } from './api-key.entity';
import { UserEntity } from './user.entity';

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

const toView = (k: ApiKeyEntity): ApiKeyView => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  lastUsedAt: k.lastUsedAt,
  expiresAt: k.expiresAt,
  revokedAt: k.revokedAt,
  createdAt: k.createdAt,
});

/** last_used_at is written at most once a minute per key, to keep auth off the write path. */
const TOUCH_INTERVAL_MS = 60_000;

/** API keys: `sb_<8 chars>_<43 chars>`; sha256 stored, the key itself returned once (immich's pattern). */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly repo: Repository<ApiKeyEntity>,
    private readonly principals: PrincipalCache,
  ) {}

  async create(userId: string, name: string, expiresAt?: Date): Promise<ApiKeyView & { key: string }> {
    const prefix = `sb_${randomToken(6)}`;
    const key = `${prefix}_${randomToken(32)}`;
    const saved = await this.repo.save(
      this.repo.create({ userId, name, prefix, keyHash: sha256Hex(key), expiresAt: expiresAt ?? null }),
    );
    return { ...toView(saved), key };
  }

  async list(userId: string): Promise<ApiKeyView[]> {
    const keys = await this.repo.find({ where: { userId }, order: { createdAt: 'DESC' } });
    return keys.map(toView);
  }

  /**
   * Revokes the key: refused from now on, by other API processes as soon as they hear of it on
   * Redis, at the latest after AUTH_CACHE_TTL_MS (PrincipalCache). @throws NotFoundError when the
   * key is not the caller's.
   */
  async revoke(userId: string, id: string): Promise<void> {
    const res = await this.repo.update({ id, userId, revokedAt: IsNull() }, { revokedAt: new Date() });
    this.principals.forgetApiKey(id);
    if (!res.affected) throw new NotFoundError('API key', id);
  }

  async authenticate(key: string): Promise<Principal | null> {
    const row = await this.repo
      .createQueryBuilder('k')
      .innerJoinAndMapOne('k.user', UserEntity, 'u', 'u.id = k.user_id')
      .where('k.key_hash = :hash', { hash: sha256Hex(key) })
      .andWhere('k.revoked_at IS NULL')
      .andWhere('(k.expires_at IS NULL OR k.expires_at > now())')
      .andWhere('u.is_active')
      .getOne();
    if (!row) return null;
    const user = (row as ApiKeyEntity & { user: UserEntity }).user;
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      void this.repo.update({ id: row.id }, { lastUsedAt: new Date() }).catch(() => undefined);
    }
    return {
      userId: user.id,
      email: user.email,
      role: user.role,
      via: 'api-key',
      apiKeyId: row.id,
      ...(row.expiresAt ? { credentialExpiresAt: row.expiresAt.getTime() } : {}),
    };
  }
}
