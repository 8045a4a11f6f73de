import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config';

interface Key {
  id: string;
  bytes: Buffer;
}

/**
 * AES-256-GCM encryption of secrets at rest (provider tokens, webhook secrets).
 * Ciphertext format: `v1.<keyId>.<iv b64url>.<tag b64url>.<ciphertext b64url>`; keyId is the
 * first 8 hex chars of sha256(key), so ENCRYPTION_PREVIOUS_KEYS can keep old rows readable
 * while new writes use ENCRYPTION_KEY.
 */
@Injectable()
export class SecretBox {
  private readonly current: Key;
  private readonly byId: Map<string, Key>;

  constructor(config: AppConfig) {
    const keys = config.encryptionKeys.map((k) => {
      const bytes = Buffer.from(k, 'base64');
      if (bytes.length !== 32)
        throw new Error('ENCRYPTION_KEY / ENCRYPTION_PREVIOUS_KEYS: each key must be 32 bytes base64');
      return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes };
    });
    this.current = keys[0];
    this.byId = new Map(keys.map((k) => [k.id, k]));
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.bytes, iv);
    cipher.setAAD(Buffer.from(this.current.id));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      'v1',
      this.current.id,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ct.toString('base64url'),
    ].join('.');
  }

  /** @throws Error when the key id is unknown or the ciphertext was tampered with. */
  decrypt(box: string): string {
    const [version, keyId, iv, tag, ct] = box.split('.');
    const key = this.byId.get(keyId);
    if (version !== 'v1' || !key || ct === undefined) throw new Error('secret box: unknown format or key id');
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(keyId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }

  encryptOptional(plaintext: string | null | undefined): string | null {
    return plaintext ? this.encrypt(plaintext) : null;
  }

  decryptOptional(box: string | null | undefined): string | null {
    return box ? this.decrypt(box) : null;
  }
}

/** `abcd…wxyz`-style mask for showing that a secret is set without revealing it. */
export function maskSecret(secret: string | null | undefined): string | null {
  if (!secret) return null;
  if (secret.length <= 8) return '••••';
  return `${secret.slice(0, 4)}••••${secret.slice(-4)}`;
}
