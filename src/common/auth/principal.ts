import type { UserRole } from '../../modules/auth/user.entity';

/** Who is calling: set on `req.user` by the global auth guard (JWT or API key). */
export interface Principal {
  userId: string;
  email: string;
  role: UserRole;
  /** `system`: the gateway itself at boot (seed env provisioning). `nats`: a request on `<provider>.<slug>.out.*`, acting as the instance's owner (src/modules/nats). */
  via: 'jwt' | 'api-key' | 'nats' | 'system';
  apiKeyId?: string;
  /** When the credential itself expires (JWT `exp`, API key `expires_at`), ms since the epoch; bounds PrincipalCache. */
  credentialExpiresAt?: number;
}

export const isAdmin = (p: Principal): boolean => p.role === 'admin';
