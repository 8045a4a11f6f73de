import { Column, Entity } from 'typeorm';
import { MetaConfigEntity } from '../graph/meta-config.entity';

/**
 * WhatsApp Cloud API config, 1:1 with `instances` (seeds/multi-provider-system.md). Secrets are
 * SecretBox ciphertext; `phone_number_id` is unique because inbound webhooks are routed by it.
 */
@Entity('whatsapp_official_instances')
export class WhatsappOfficialInstanceEntity extends MetaConfigEntity {
  /** Business phone number id (`metadata.phone_number_id` of webhooks). */
  @Column({ type: 'text' }) phoneNumberId: string;
  /** WhatsApp Business Account id (`entry[].id` of webhooks). */
  @Column({ type: 'text', nullable: true }) wabaId: string | null;
  @Column({ type: 'text', nullable: true }) displayPhoneNumber: string | null;
  @Column({ type: 'text', nullable: true }) verifiedName: string | null;
  @Column({ type: 'text' }) accessTokenEnc: string;
}
