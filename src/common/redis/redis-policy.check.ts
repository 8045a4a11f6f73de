import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { RedisService } from './redis.service';

/**
 * BullMQ needs `maxmemory-policy noeviction`: with any eviction policy Redis may silently drop
 * queued jobs under memory pressure (WEBHOOKS.md § BullMQ facts). Warns loudly at boot; never
 * blocks it (managed Redis often forbids CONFIG GET).
 */
@Injectable()
export class RedisPolicyCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('Redis');

  constructor(private readonly redis: RedisService) {}

  async onApplicationBootstrap(): Promise<void> {
    const policy = await this.policy();
    if (policy && policy !== 'noeviction') {
      this.logger.warn(
        `Redis maxmemory-policy is "${policy}", not "noeviction": queued webhook deliveries can be evicted under memory ` +
          'pressure. Set `maxmemory-policy noeviction` (docker/docker-compose.yml does).',
      );
    }
  }

  /** The server's maxmemory-policy, or null when CONFIG GET is not allowed or Redis is unreachable. */
  async policy(): Promise<string | null> {
    try {
      const reply = (await Promise.race([
        this.redis.client.config('GET', 'maxmemory-policy'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000)),
      ])) as string[];
      return reply?.[1] ?? null;
    } catch {
      return null;
    }
  }
}
