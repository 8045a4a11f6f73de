import { randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { SecretBox } from './secret-box';

const key = () => randomBytes(32).toString('base64');
const box = (...keys: string[]) => new SecretBox({ encryptionKeys: keys } as AppConfig);

describe('SecretBox', () => {
  it('round-trips and never stores the plaintext', () => {
    const sb = box(key());
    const ct = sb.encrypt('123456:ABC-token');
    expect(ct).not.toContain('123456');
    expect(ct.split('.')).toHaveLength(5);
    expect(sb.decrypt(ct)).toBe('123456:ABC-token');
    expect(sb.encrypt('x')).not.toBe(sb.encrypt('x'));
  });

  it('decrypts rows written under a previous key after rotation', () => {
    const oldKey = key();
    const ct = box(oldKey).encrypt('old-secret');
    const rotated = box(key(), oldKey);
    expect(rotated.decrypt(ct)).toBe('old-secret');
    expect(rotated.encrypt('new').split('.')[1]).not.toBe(ct.split('.')[1]);
  });

  it('rejects tampered ciphertext and unknown keys', () => {
    const sb = box(key());
    const parts = sb.encrypt('secret').split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => sb.decrypt(parts.join('.'))).toThrow();
    expect(() => box(key()).decrypt(sb.encrypt('secret'))).toThrow(/key id/);
  });
});
