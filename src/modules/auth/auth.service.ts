import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { UnauthorizedError } from '../../common/errors/app-error';
import { toUserView, UsersService, UserView } from './users.service';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly jwt: JwtService,
  ) {}

  /** @throws UnauthorizedError (401) for an unknown email, wrong password or inactive user — one message for all. */
  async login(email: string, password: string): Promise<{ token: string; user: UserView }> {
    const user = await this.users.findByEmail(email);
    if (!user || !user.isActive || !(await this.users.verifyPassword(user, password))) {
      throw new UnauthorizedError('Invalid email or password');
    }
    await this.users.touchLogin(user.id);
    user.lastLoginAt = new Date();
    const token = await this.jwt.signAsync({ sub: user.id, role: user.role });
    return { token, user: toUserView(user) };
  }
}
