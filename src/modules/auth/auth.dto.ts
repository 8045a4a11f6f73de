import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { PaginationDto } from '../../common/pagination/pagination.dto';
import { StorableDate } from '../../common/validation/transforms';

export class LoginDto {
  /** @example user@example.com */
  @IsEmail() email: string;
  /** @example strongpassword */
  @IsString() @MinLength(1) password: string;
}

export class CreateApiKeyDto {
  /** A label to recognise the key by. @example crm-production */
  @IsString() @MinLength(1) @MaxLength(100) name: string;
  /** Optional expiry (ISO 8601). */
  @IsOptional() @StorableDate() expiresAt?: Date;
}

export class CreateUserDto {
  @IsEmail() email: string;
  /** At least 8 characters. */
  @IsString() @MinLength(8) @MaxLength(200) password: string;
  @IsOptional() @IsString() @MaxLength(100) firstName?: string;
  @IsOptional() @IsString() @MaxLength(100) lastName?: string;
  @ApiPropertyOptional({ enum: ['admin', 'user'], default: 'user' })
  @IsOptional()
  @IsIn(['admin', 'user'])
  role?: 'admin' | 'user';
}

export class UpdateUserDto extends PartialType(CreateUserDto) {
  @IsOptional() @IsBoolean() isActive?: boolean;
}

export class UserResponseDto {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  @ApiProperty({ enum: ['admin', 'user'] }) role: string;
  isActive: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export class LoginResponseDto {
  /** JWT for `Authorization: Bearer`; lifetime JWT_EXPIRATION. */
  token: string;
  user: UserResponseDto;
}

export class ApiKeyResponseDto {
  id: string;
  name: string;
  /** First characters of the key, to recognise it. */
  prefix: string;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export class CreatedApiKeyResponseDto extends ApiKeyResponseDto {
  /** The key itself: shown only in this response, store it now. */
  key: string;
}

/** `GET /api/auth/api-keys`. */
export class ApiKeyListDto {
  apiKeys: ApiKeyResponseDto[];
}

/** `POST /api/users`: the user and their first API key, shown only here. */
export class CreatedUserResponseDto extends UserResponseDto {
  /** An API key for `x-api-key`, generated with the user (named `default`); store it now. */
  apiKey: string;
}

/** `GET /api/users`. */
export class UserListDto {
  users: UserResponseDto[];
  pagination: PaginationDto;
}
