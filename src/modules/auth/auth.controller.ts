import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuth, CurrentUser, Public } from '../../common/auth/decorators';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { SuccessResponseDto } from '../../common/openapi/success-response.dto';
import type { Principal } from '../../common/auth/principal';
import { ApiKeysService } from './api-keys.service';
import {
  ApiKeyListDto,
  CreateApiKeyDto,
  CreatedApiKeyResponseDto,
  LoginDto,
  LoginResponseDto,
  UserResponseDto,
} from './auth.dto';
import { AuthService } from './auth.service';
import { toUserView, UsersService } from './users.service';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with email and password; returns a JWT and the user' })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiProblemResponses(
    400,
    [401, 'Wrong email or password, or the user is inactive (`unauthorized`)'],
    [429, 'Too many attempts from this address (`rate_limited`); `Retry-After` in seconds'],
  )
  login(@Body() dto: LoginDto) {
    return this.auth.login(dto.email, dto.password);
  }

  @Get('me')
  @ApiAuth()
  @ApiOperation({ summary: 'The authenticated user' })
  @ApiOkResponse({ type: UserResponseDto })
  async me(@CurrentUser() principal: Principal) {
    return toUserView(await this.users.get(principal.userId));
  }

  @Get('api-keys')
  @ApiAuth()
  @ApiOperation({ summary: "The caller's API keys (never the keys themselves)" })
  @ApiOkResponse({ type: ApiKeyListDto })
  async listKeys(@CurrentUser() principal: Principal) {
    return { apiKeys: await this.apiKeys.list(principal.userId) };
  }

  @Post('api-keys')
  @ApiAuth()
  @ApiOperation({ summary: 'Create an API key for `x-api-key`; the key is returned once' })
  @ApiCreatedResponse({ type: CreatedApiKeyResponseDto })
  @ApiProblemResponses(400)
  createKey(@CurrentUser() principal: Principal, @Body() dto: CreateApiKeyDto) {
    return this.apiKeys.create(principal.userId, dto.name, dto.expiresAt);
  }

  @Delete('api-keys/:id')
  @ApiAuth()
  @ApiOperation({ summary: 'Revoke an API key' })
  @ApiOkResponse({ type: SuccessResponseDto })
  @ApiProblemResponses([400, '`id` is not a UUID (`validation_failed`)'], [404, 'No such key of the caller'])
  async revokeKey(@CurrentUser() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    await this.apiKeys.revoke(principal.userId, id);
    return { success: true, message: `API key ${id} revoked` };
  }
}
