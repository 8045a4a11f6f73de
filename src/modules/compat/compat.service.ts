import { Injectable } from '@nestjs/common';
import type { Principal } from '../../common/auth/principal';
import { NotFoundError, UnprocessableError } from '../../common/errors/app-error';
import { ContactsService } from '../contacts/contacts.service';
import type { ContactsQuery, SaveContactDto } from '../contacts/contacts.dto';
import { InstancesService } from '../instances/instances.service';
import type { SendMessageDto } from '../messages/messages.dto';
import { MessagesService } from '../messages/messages.service';
import { ProviderRegistry } from '../providers/provider-registry';
import { StatsService } from '../stats/stats.service';
import type {
  MultiProviderCreateDto,
  MultiProviderSendDto,
  SeedAddContactDto,
  SeedSendDto,
  SeedSendMediaDto,
} from './compat.dto';
import { mediaTypeFor } from './media-type';

/**
 * The seeds' routes (multi-instance-api.md § WhatsApp API / § Контакты, multi-provider-system.md)
 * translated onto the canonical services: only request and response shapes change here; sends,
 * limits, usage, tenant scoping (404) and provider capability errors (422) are the canonical ones.
 */
@Injectable()
export class CompatService {
  constructor(
    private readonly instances: InstancesService,
    private readonly messages: MessagesService,
    private readonly contacts: ContactsService,
    private readonly stats: StatsService,
    private readonly providers: ProviderRegistry,
  ) {}

  /** `{ready, status, hasQr}` */
  async status(principal: Principal, instanceId: string) {
    const s = await this.instances.status(principal, instanceId);
    return { ready: s.ready, status: s.status, hasQr: s.hasQr };
  }

  /** 422 `qr_not_supported` for every provider but WhatsApp Web. */
  qr(principal: Principal, instanceId: string) {
    return this.instances.qr(principal, instanceId);
  }

  /** `{phone, message}` → `{id}` (the provider's message id; `messageId` is ours). */
  async sendText(principal: Principal, instanceId: string, dto: SeedSendDto) {
    return this.send(principal, instanceId, { to: dto.phone, type: 'text', text: dto.message });
  }

  /** `{phone, url, caption, filename}` → `{id}`; the media type follows the file extension. */
  async sendMedia(principal: Principal, instanceId: string, dto: SeedSendMediaDto) {
    return this.send(principal, instanceId, {
      to: dto.phone,
      type: mediaTypeFor(dto.filename, dto.url),
      media: { url: dto.url },
      caption: dto.caption,
      filename: dto.filename,
    });
  }

  /** Multipart uploads need the provider's upload capability; no adapter of this release has it → 422. */
  async sendFile(principal: Principal, instanceId: string): Promise<never> {
    const instance = await this.instances.get(principal, instanceId);
    const caps = this.providers.get(instance.provider).capabilities;
    throw new UnprocessableError(
      'media_upload_unsupported',
      `${caps.provider} instances cannot send uploaded files in this release; send the file by URL with send-media`,
      { provider: caps.provider },
    );
  }

  /** `{success: true}` */
  async logout(principal: Principal, instanceId: string) {
    await this.instances.logout(principal, instanceId);
    return { success: true };
  }

  /**
   * `{contacts: [{id, name, number, isGroup}]}`: WhatsApp Web lists the account's WhatsApp
   * contacts; other providers the contacts the gateway knows.
   */
  async contactsList(principal: Principal, instanceId: string, q: ContactsQuery) {
    const instance = await this.instances.get(principal, instanceId);
    const adapter = this.providers.get(instance.provider);
    if (adapter.accountContacts) {
      const all = await adapter.accountContacts(instance);
      return { contacts: all.map(({ id, name, number, isGroup }) => ({ id, name, number, isGroup })) };
    }
    const page = await this.contacts.list(principal, instanceId, q);
    return {
      contacts: page.contacts.map((c) => ({
        id: c.remoteJid,
        name: c.name,
        number: c.number,
        isGroup: c.isGroup,
      })),
    };
  }

  contactsDb(principal: Principal, instanceId: string, q: ContactsQuery) {
    return this.contacts.list(principal, instanceId, q);
  }

  saveContact(principal: Principal, instanceId: string, dto: SaveContactDto) {
    return this.contacts.save(principal, instanceId, dto);
  }

  /** WhatsApp Web: checked with WhatsApp (`onWhatsApp`), then kept; other providers answer 422. */
  async addContact(principal: Principal, instanceId: string, dto: SeedAddContactDto) {
    const instance = await this.instances.get(principal, instanceId);
    const adapter = this.providers.get(instance.provider);
    if (adapter.addAccountContact) {
      const added = await adapter.addAccountContact(instance, dto.phone, dto.name);
      return {
        success: true,
        message: 'Contact added',
        contact: { id: added.id, number: added.number, name: added.name ?? added.number },
      };
    }
    throw new UnprocessableError(
      'contacts_add_unsupported',
      `${instance.provider} instances have no address book to add to; store the contact with contacts/save`,
      { provider: instance.provider },
    );
  }

  /** WhatsApp Web: the account's WhatsApp contacts → our contacts; others answer 422. */
  async importContacts(principal: Principal, instanceId: string) {
    const instance = await this.instances.get(principal, instanceId);
    const adapter = this.providers.get(instance.provider);
    if (adapter.importAccountContacts) {
      const importedCount = await adapter.importAccountContacts(instance);
      return { success: true, message: `Successfully imported ${importedCount} contacts`, importedCount };
    }
    throw new UnprocessableError(
      'contacts_import_unsupported',
      `${instance.provider} instances cannot list the account's contacts; contacts are stored as they message the instance (contacts/db)`,
      { provider: instance.provider },
    );
  }

  /** `{provider, config}` → `{instanceId, provider, status: "created"}` */
  async createInstance(principal: Principal, dto: MultiProviderCreateDto) {
    const created = await this.instances.create(principal, {
      provider: dto.provider,
      name: dto.name ?? `${dto.provider} instance`,
      config: dto.config,
    });
    return { instanceId: created.id, provider: created.provider, status: 'created' as const };
  }

  /** `{instances: [{instanceId, provider, name, status}]}` */
  async listInstances(principal: Principal) {
    const page = await this.instances.list(principal, { limit: 100, skip: 0 });
    return {
      instances: page.instances.map((i) => ({
        instanceId: i.id,
        provider: i.provider,
        name: i.name,
        status: i.status,
      })),
      pagination: page.pagination,
    };
  }

  /** `{to, message}` → `{success, messageId, providerMessageId}`; a provider not matching the instance's is a 404. */
  async sendMessage(principal: Principal, provider: string, instanceId: string, dto: MultiProviderSendDto) {
    await this.checkProvider(principal, provider, instanceId);
    const sent = await this.send(principal, instanceId, { to: dto.to, type: 'text', text: dto.message });
    return { success: true, messageId: sent.messageId, providerMessageId: sent.id };
  }

  async providerStatus(principal: Principal, provider: string, instanceId: string) {
    await this.checkProvider(principal, provider, instanceId);
    return this.instances.status(principal, instanceId);
  }

  providerStats(principal: Principal) {
    return this.stats.byProvider(principal);
  }

  /** `{providers: [...keys], count}`: the providers this gateway can run. */
  activeProviders() {
    const providers = this.providers.keys;
    return { providers, count: providers.length };
  }

  private async checkProvider(principal: Principal, provider: string, instanceId: string): Promise<void> {
    const instance = await this.instances.get(principal, instanceId);
    if (instance.provider !== provider) throw new NotFoundError(`${provider} instance`, instanceId);
  }

  private async send(principal: Principal, instanceId: string, message: Partial<SendMessageDto>) {
    const sent = await this.messages.send(principal, instanceId, message as SendMessageDto);
    return { id: sent.providerMessageId, messageId: sent.id };
  }
}
