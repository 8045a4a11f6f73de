import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { paginate } from '../../common/pagination/pagination';
import { InstancesService } from '../instances/instances.service';
import { ProviderRegistry } from '../providers/provider-registry';
import { ContactEntity } from './contact.entity';
import type { ContactsQuery, SaveContactDto } from './contacts.dto';

/** The seeds' contact shape plus our fields. */
export const toContactView = (c: ContactEntity) => ({
  id: c.id,
  instanceId: c.instanceId,
  providerContactId: c.providerContactId,
  name: c.name,
  number: c.phone ?? c.providerContactId,
  remoteJid: c.providerContactId,
  pushName: c.pushName,
  username: c.username,
  phone: c.phone,
  isGroup: c.isGroup,
  profilePicture: c.profilePicture,
  about: c.about,
  lastActivity: c.lastActivityAt,
  createdAt: c.createdAt,
  updatedAt: c.updatedAt,
});

@Injectable()
export class ContactsService {
  constructor(
    @InjectRepository(ContactEntity) private readonly repo: Repository<ContactEntity>,
    private readonly instances: InstancesService,
    private readonly providers: ProviderRegistry,
  ) {}

  async list(principal: Principal, instanceId: string, q: ContactsQuery) {
    const instance = await this.instances.get(principal, instanceId);
    const qb = this.repo
      .createQueryBuilder('c')
      .where('c.instanceId = :id', { id: instance.id })
      .orderBy('c.lastActivityAt', 'DESC', 'NULLS LAST')
      .addOrderBy('c.createdAt', 'DESC');
    if (q.onlyGroups !== undefined) qb.andWhere('c.isGroup = :g', { g: q.onlyGroups });
    if (q.search) {
      const like = `%${q.search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
      qb.andWhere(
        new Brackets((w) =>
          w
            .where('c.name ILIKE :like', { like })
            .orWhere('c.pushName ILIKE :like')
            .orWhere('c.username ILIKE :like')
            .orWhere('c.phone ILIKE :like')
            .orWhere('c.providerContactId ILIKE :like'),
        ),
      );
    }
    const page = await paginate(qb, q, 100);
    return { contacts: page.items.map(toContactView), pagination: page.pagination };
  }

  /** Insert or update by `number` (the provider contact id); only given fields change. */
  async save(principal: Principal, instanceId: string, dto: SaveContactDto) {
    const instance = await this.instances.get(principal, instanceId);
    const existing = await this.repo.findOne({
      where: { instanceId: instance.id, providerContactId: dto.number },
    });
    const contact = existing ?? this.repo.create({ instanceId: instance.id, providerContactId: dto.number });
    if (dto.name !== undefined) contact.name = dto.name;
    if (dto.pushName !== undefined) contact.pushName = dto.pushName;
    if (dto.isGroup !== undefined) contact.isGroup = dto.isGroup;
    if (dto.profilePicture !== undefined) contact.profilePicture = dto.profilePicture;
    if (dto.about !== undefined) contact.about = dto.about;
    const numberIsPhone = this.providers.find(instance.provider)?.numericContactIdIsPhone ?? false;
    if (/^\+?\d{5,}$/.test(dto.number) && !contact.phone && numberIsPhone) contact.phone = dto.number;
    await this.repo.save(contact);
    return toContactView(contact);
  }
}
