import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import * as argon2 from 'argon2';
import { Repository } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { PrincipalCache } from '../../common/auth/principal-cache';
import { ConflictError, NotFoundError } from '../../common/errors/app-error';
import { paginate, Page, PageQuery } from '../../common/pagination/pagination';
import { UserEntity, UserRole } from './user.entity';

/** Public shape of a user (never the hash). */
export interface UserView {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  role: UserRole;
  isActive: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const toUserView = (u: UserEntity): UserView => ({
  id: u.id,
  email: u.email,
  firstName: u.firstName,
  lastName: u.lastName,
  role: u.role,
  isActive: u.isActive,
  lastLoginAt: u.lastLoginAt,
  createdAt: u.createdAt,
  updatedAt: u.updatedAt,
});

export interface CreateUserInput {
  email: string;
  password: string;
  firstName?: string;
  lastName?: string;
  role?: UserRole;
}

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    @InjectRepository(UserEntity) private readonly repo: Repository<UserEntity>,
    private readonly config: AppConfig,
    private readonly principals: PrincipalCache,
  ) {}

  /** Creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD when no admin exists. */
  async onApplicationBootstrap(): Promise<void> {
    if (await this.repo.exists({ where: { role: 'admin' } })) return;
    const { email, password, firstName, lastName } = this.config.admin;
    try {
      await this.create({ email, password, firstName, lastName, role: 'admin' });
      this.logger.log(`created the first admin ${email}`);
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e; // another process won the race
    }
  }

  findActive(id: string): Promise<UserEntity | null> {
    return this.repo.findOne({ where: { id, isActive: true } });
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.repo.createQueryBuilder('u').where('lower(u.email) = lower(:email)', { email }).getOne();
  }

  async get(id: string): Promise<UserEntity> {
    const user = await this.repo.findOne({ where: { id } });
    if (!user) throw new NotFoundError('User', id);
    return user;
  }

  /** @throws ConflictError `email_taken` when the email is already registered. */
  async create(input: CreateUserInput): Promise<UserEntity> {
    if (await this.findByEmail(input.email))
      throw new ConflictError('email_taken', `A user with email ${input.email} already exists`);
    const user = this.repo.create({
      email: input.email.toLowerCase(),
      passwordHash: await argon2.hash(input.password, { type: argon2.argon2id }),
      firstName: input.firstName ?? null,
      lastName: input.lastName ?? null,
      role: input.role ?? 'user',
    });
    try {
      return await this.repo.save(user);
    } catch (e) {
      if ((e as { code?: string }).code === '23505')
        throw new ConflictError('email_taken', `A user with email ${input.email} already exists`);
      throw e;
    }
  }

  /**
   * Changes a user. Their JWTs and API keys carry the change (or stop working, when deactivated)
   * at once, on other API processes as soon as they hear of it on Redis, at the latest after
   * AUTH_CACHE_TTL_MS (PrincipalCache).
   */
  async update(id: string, patch: Partial<CreateUserInput> & { isActive?: boolean }): Promise<UserEntity> {
    const user = await this.get(id);
    if (patch.email && patch.email.toLowerCase() !== user.email) {
      if (await this.findByEmail(patch.email))
        throw new ConflictError('email_taken', `A user with email ${patch.email} already exists`);
      user.email = patch.email.toLowerCase();
    }
    if (patch.password) user.passwordHash = await argon2.hash(patch.password, { type: argon2.argon2id });
    if (patch.firstName !== undefined) user.firstName = patch.firstName;
    if (patch.lastName !== undefined) user.lastName = patch.lastName;
    if (patch.role) user.role = patch.role;
    if (patch.isActive !== undefined) user.isActive = patch.isActive;
    const saved = await this.repo.save(user);
    this.principals.forgetUser(id);
    return saved;
  }

  /** Deletes the user; their credentials stop working as {@link update}'s changes take effect. */
  async remove(id: string): Promise<void> {
    const res = await this.repo.delete({ id });
    this.principals.forgetUser(id);
    if (!res.affected) throw new NotFoundError('User', id);
  }

  list(query: PageQuery): Promise<Page<UserEntity>> {
    return paginate(this.repo.createQueryBuilder('u').orderBy('u.createdAt', 'ASC'), query);
  }

  async verifyPassword(user: UserEntity, password: string): Promise<boolean> {
    return argon2.verify(user.passwordHash, password).catch(() => false);
  }

  async touchLogin(id: string): Promise<void> {
    await this.repo.update({ id }, { lastLoginAt: new Date() });
  }
}
