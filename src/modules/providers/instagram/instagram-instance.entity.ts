import { Column, Entity } from 'typeorm';
import { MetaConfigEntity } from '../graph/meta-config.entity';

/**
 * Instagram messaging config, 1:1 with `instances`. `login` picks the API: `instagram` (Instagram
 * API with Instagram Login on graph.instagram.com, the default) or `facebook` (Page-linked, Page
 * token on graph.facebook.com). Secrets are SecretBox ciphertext; `ig_id` is unique (webhooks
 * are routed by `entry.id`).
 */
@Entity('instagram_instances')
export class InstagramInstanceEntity extends MetaConfigEntity {
  /** Instagram professional account id. */
  @Column({ type: 'text' }) igId: string;
  @Column({ type: 'text', nullable: true }) username: string | null;
  @Column({ type: 'text' }) login: 'instagram' | 'facebook';
  /** Facebook Page linked to the account (login = facebook). */
  @Column({ type: 'text', nullable: true }) pageId: string | null;
  @Column({ type: 'text' }) accessTokenEnc: string;
  /** Meta app secret, also accepted for webhook signatures. */
  @Column({ type: 'text', nullable: true }) metaAppSecretEnc: string | null;
}
