import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { SecretBox } from '../../common/crypto/secret-box';
import { sha256Hex } from '../../common/crypto/tokens';
import { AppConfig } from '../../config/app-config';
import { UsersService } from '../auth/users.service';
import { InstanceEntity } from '../instances-core/instance.entity';
import { InstancesService } from '../instances/instances.service';
import { WhatsappOfficialInstanceEntity } from '../providers/whatsapp-official/whatsapp-official-instance.entity';
import { WhatsappOfficialAdapter } from '../providers/whatsapp-official/whatsapp-official.adapter';
import { WHATSAPP_OFFICIAL } from '../providers/whatsapp-official/whatsapp-official.normalizer';
import type { SeedWhatsappAccount } from './seed-accounts';

/** Retry interval for accounts that could not be created (Graph unreachable, token refused), ms. */
const RETRY_MS = 30_000;

/** What one boot did with one `WA_<NAME>` account. */
export type SeedOutcome = 'created' | 'updated' | 'unchanged' | 'failed';

/**
 * The connector seed's `.env` as is (seeds/whatsapp-cloud-connector.md): every
 * `WA_<NAME>=<phone_number_id>:<access_token>` becomes one `whatsapp-official` instance with slug
 * and name `<name>` (lower-cased), owned by the first admin, with `APP_SECRET`,
 * `WEBHOOK_VERIFY_TOKEN` and `API_VERSION`. Upserted at every boot of an API process (under an
 * advisory lock, so several processes agree): a new account is created through
 * InstancesService.create (credentials checked with Graph); an existing one gets changed
 * credentials written encrypted. An account that fails (Graph down, token refused) is logged by
 * its variable name and retried every 30 s; boot never waits for Graph.
 */
@Injectable()
export class SeedAccountsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SeedAccountsService.name);
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly instances: InstancesService,
    private readonly adapter: WhatsappOfficialAdapter,
    private readonly secrets: SecretBox,
    @InjectRepository(WhatsappOfficialInstanceEntity)
    private readonly waRepo: Repository<WhatsappOfficialInstanceEntity>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.seedWhatsapp.accounts.length === 0) return;
    await this.users.onApplicationBootstrap(); // the first admin must exist to own the instances
    await this.provision(this.config.seedWhatsapp.accounts);
  }

  onApplicationShutdown(): void {
    if (this.retry) clearTimeout(this.retry);
  }

  /** Upserts every account; schedules a retry of the failed ones. @returns the outcome per slug. */
  async provision(accounts: SeedWhatsappAccount[]): Promise<Record<string, SeedOutcome>> {
    const outcomes: Record<string, SeedOutcome> = {};
    const failed: SeedWhatsappAccount[] = [];
    for (const account of accounts) {
      try {
        outcomes[account.slug] = await this.upsert(account);
      } catch (err) {
        outcomes[account.slug] = 'failed';
        failed.push(account);
        this.logger.error(
          { variable: account.variable, err: (err as Error).message },
          'could not provision the WhatsApp account of the seed env; retrying in 30 s',
        );
      }
    }
    this.logger.log({ outcomes }, 'seed env WhatsApp accounts provisioned');
    if (failed.length) {
      this.retry = setTimeout(() => void this.provision(failed), RETRY_MS);
      this.retry.unref();
    }
    return outcomes;
  }

  private async upsert(a: SeedWhatsappAccount): Promise<SeedOutcome> {
    const s = this.config.seedWhatsapp;
    // one process at a time: two API processes booting together must not both create
    const lock = await this.db.createQueryRunner();
    await lock.connect();
    try {
      await lock.query(`SELECT pg_advisory_lock(hashtext('switchboard:seed-wa:' || $1))`, [a.slug]);
      const existing = await this.db
        .getRepository(InstanceEntity)
        .findOne({ where: { provider: WHATSAPP_OFFICIAL, slug: a.slug } });
      if (!existing) {
        const admin = await this.firstAdmin();
        await this.instances.create(admin, {
          provider: WHATSAPP_OFFICIAL,
          name: a.slug,
          slug: a.slug,
          config: {
            phoneNumberId: a.phoneNumberId,
            accessToken: a.accessToken,
            appSecret: s.appSecret,
            webhookVerifyToken: s.verifyToken,
            version: s.apiVersion,
          },
        });
        return 'created';
      }
      const row = await this.waRepo.findOne({ where: { instanceId: existing.id } });
      if (!row) throw new Error(`instance ${existing.id} has no WhatsApp Cloud configuration`);
      const changes: Partial<WhatsappOfficialInstanceEntity> = {};
      if (row.phoneNumberId !== a.phoneNumberId) changes.phoneNumberId = a.phoneNumberId;
      if (this.secrets.decrypt(row.accessTokenEnc) !== a.accessToken) {
        changes.accessTokenEnc = this.secrets.encrypt(a.accessToken);
      }
      if (s.appSecret && this.secrets.decrypt(row.appSecretEnc) !== s.appSecret) {
        changes.appSecretEnc = this.secrets.encrypt(s.appSecret);
      }
      if (s.verifyToken && this.secrets.decrypt(row.webhookVerifyTokenEnc) !== s.verifyToken) {
        changes.webhookVerifyTokenEnc = this.secrets.encrypt(s.verifyToken);
        changes.webhookVerifyTokenHash = sha256Hex(s.verifyToken);
      }
      if (row.version !== s.apiVersion) changes.version = s.apiVersion;
      if (Object.keys(changes).length === 0) return 'unchanged';
      await this.waRepo.update({ instanceId: existing.id }, changes);
      this.adapter.forget(existing.id);
      this.logger.log(
        { variable: a.variable, instanceId: existing.id, changed: Object.keys(changes) },
        'seed env WhatsApp account updated',
      );
      return 'updated';
    } finally {
      await lock.query(`SELECT pg_advisory_unlock(hashtext('switchboard:seed-wa:' || $1))`, [a.slug]);
      await lock.release();
    }
  }

  private async firstAdmin(): Promise<Principal> {
    const [admin] = await this.db.query(
      `SELECT id, email FROM users WHERE role = 'admin' AND is_active ORDER BY created_at LIMIT 1`,
    );
    if (!admin) throw new Error('no active admin to own the seed env instances');
    return { userId: admin.id, email: admin.email, role: 'admin', via: 'system' };
  }
}
