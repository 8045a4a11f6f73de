import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import type { Principal } from '../../common/auth/principal';
import { ApiKeysService } from './api-keys.service';

/** `x-api-key: sb_...`; looked up by sha256, must be unrevoked, unexpired, and its user active. */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, 'api-key') {
  constructor(private readonly apiKeys: ApiKeysService) {
    super({ header: 'x-api-key', prefix: '' }, false);
  }

  async validate(key: string): Promise<Principal | false> {
    return (await this.apiKeys.authenticate(key)) ?? false;
  }
}
