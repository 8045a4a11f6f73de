import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/pagination/pagination';

export class ContactsQuery extends PageQuery {
  /** Matches name, push name, username, phone or provider id (case-insensitive substring). */
  @IsOptional() @IsString() @MaxLength(200) search?: string;
  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  onlyGroups?: boolean;
}

/** The seeds' contact save body; `number` is the provider contact id (Telegram: user id). */
export class SaveContactDto {
  /** @example 79001234567 */
  @IsString() @IsNotEmpty() @MaxLength(200) number: string;
  @IsOptional() @IsString() @MaxLength(200) name?: string;
  @IsOptional() @IsString() @MaxLength(200) pushName?: string;
  @IsOptional() @IsBoolean() isGroup?: boolean;
  @IsOptional() @IsString() @MaxLength(2000) profilePicture?: string;
  @IsOptional() @IsString() @MaxLength(2000) about?: string;
}
