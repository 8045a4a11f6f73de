import { Injectable } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../../config/app-config';
import type { Principal } from '../../common/auth/principal';
import { UsersService } from './users.service';

/** `Authorization: Bearer <jwt>`; the token's `sub` must be an active user. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly users: UsersService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // a KeyObject, made once: given the string, jsonwebtoken tries (and fails) createPublicKey and
      // then createSecretKey on every request (7 % of a send's CPU in the issue 11 profile)
      secretOrKey: createSecretKey(Buffer.from(config.jwt.secret)) as unknown as Buffer,
      ignoreExpiration: false,
    });
  }

  async validate(payload: { sub: string; exp?: number }): Promise<Principal | false> {
    const user = await this.users.findActive(payload.sub);
    if (!user) return false;
    return {
      userId: user.id,
      email: user.email,
      role: user.role,
      via: 'jwt',
      ...(payload.exp ? { credentialExpiresAt: payload.exp * 1000 } : {}),
    };
  }
}
