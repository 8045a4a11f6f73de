import { Injectable } from '@nestjs/common';
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
      secretOrKey: config.jwt.secret,
      ignoreExpiration: false,
    });
  }

  async validate(payload: { sub: string }): Promise<Principal | false> {
    const user = await this.users.findActive(payload.sub);
    return user ? { userId: user.id, email: user.email, role: user.role, via: 'jwt' } : false;
  }
}
