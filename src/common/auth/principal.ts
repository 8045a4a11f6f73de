import type { UserRole } from '../../modules/auth/user.entity';

/** Who is calling: set on `req.user` by the global auth guard (JWT or API key). */
export interface Principal {
  userId: string;
  email: string;
  role: UserRole;
  via: 'jwt' | 'api-key';
  apiKeyId?: string;
}

export const isAdmin = (p: Principal): boolean => p.role === 'admin';
