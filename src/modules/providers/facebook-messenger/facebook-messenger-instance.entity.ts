import { Column, Entity } from 'typeorm';
import { MetaConfigEntity } from '../graph/meta-config.entity';

/**
 * Messenger config, 1:1 with `instances` (seeds/multi-provider-system.md). Secrets are SecretBox
 * ciphertext; `page_id` is unique because inbound webhooks are routed by `entry.id`.
 */
@Entity('facebook_messenger_instances')
export class FacebookMessengerInstanceEntity extends MetaConfigEntity {
  @Column({ type: 'text' }) pageId: string;
  @Column({ type: 'text', nullable: true }) pageName: string | null;
  @Column({ type: 'text' }) pageAccessTokenEnc: string;
}
