import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsLatitude,
  IsLongitude,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '../../common/pagination/pagination';
import { MEDIA_TYPES, OUTBOUND_TYPES } from '../providers/normalized';
import type { OutboundType } from '../providers/normalized';
import { StorableDate } from '../../common/validation/transforms';

export class MediaRefDto {
  /** http(s) URL the provider downloads. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  url?: string;
  /** Provider media id (Telegram `file_id`). */
  @IsOptional() @IsString() @IsNotEmpty() providerMediaId?: string;
}

/** One phone of a contact card (WhatsApp `phones[]`). */
export class ContactPhoneDto {
  /** As it should show on the card. @example "+1 650-555-0101" */
  @IsString() @IsNotEmpty() @MaxLength(40) phone: string;
  /** Label: `CELL`, `MAIN`, `IPHONE`, `HOME`, `WORK` or free text. @example CELL */
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(40) type?: string;
  /** WhatsApp id of the number (digits with country code); WhatsApp shows a "Message" button. @example "16505550101" */
  @IsOptional() @Matches(/^\d{5,20}$/, { message: 'waId must be 5-20 digits' }) waId?: string;
}

/** One e-mail address of a contact card (WhatsApp `emails[]`). */
export class ContactEmailDto {
  /** @example ann@example.com */
  @IsEmail({}, { message: 'email must be an e-mail address' }) @MaxLength(254) email: string;
  /** `HOME`, `WORK` or free text. @example WORK */
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(40) type?: string;
}

/** A web address of a contact card (WhatsApp `urls[]`). */
export class ContactUrlDto {
  /** @example https://acme.example/ann */
  @IsString() @IsNotEmpty() @MaxLength(2000) url: string;
  /** `HOME`, `WORK` or free text. */
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(40) type?: string;
}

/** A postal address of a contact card (WhatsApp `addresses[]`); every part optional. */
export class ContactAddressDto {
  @IsOptional() @IsString() @MaxLength(300) street?: string;
  @IsOptional() @IsString() @MaxLength(100) city?: string;
  @IsOptional() @IsString() @MaxLength(100) state?: string;
  @IsOptional() @IsString() @MaxLength(20) zip?: string;
  @IsOptional() @IsString() @MaxLength(100) country?: string;
  /** ISO 3166-1 alpha-2 (WhatsApp `country_code`; not written to a vCard). @example US */
  @IsOptional()
  @Matches(/^[A-Za-z]{2}$/, { message: 'countryCode must be two letters (ISO 3166-1)' })
  countryCode?: string;
  /** `HOME`, `WORK` or free text. */
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(40) type?: string;
}

/** The organisation on a contact card (WhatsApp `org`; vCard `ORG` + `TITLE`). */
export class ContactOrgDto {
  @IsOptional() @IsString() @MaxLength(200) company?: string;
  @IsOptional() @IsString() @MaxLength(200) department?: string;
  /** Job title. */
  @IsOptional() @IsString() @MaxLength(200) title?: string;
}

/**
 * A contact card (`type: contacts`). The flat form `{name, phone}` is one `CELL` number; the
 * vCard-level form adds name parts, `phones[]`, `emails[]`, `org`, `urls[]`, `addresses[]` and
 * `birthday`. WhatsApp gets it as its `contacts` object, Telegram as `sendContact` with the rest
 * in a generated vCard (≤ 2048 bytes). See PROVIDERS.md §1.1, §2.1.
 */
export class ContactCardDto {
  /** Formatted (display) name. @example "Dr. Ann Q. Lee" */
  @IsString() @IsNotEmpty() @MaxLength(200) name: string;
  @IsOptional() @IsString() @MaxLength(100) firstName?: string;
  @IsOptional() @IsString() @MaxLength(100) lastName?: string;
  @IsOptional() @IsString() @MaxLength(100) middleName?: string;
  /** e.g. `Dr.` */
  @IsOptional() @IsString() @MaxLength(40) prefix?: string;
  /** e.g. `Jr.` */
  @IsOptional() @IsString() @MaxLength(40) suffix?: string;
  /** The flat form's number; required unless `phones` is given. @example "+15551234567" */
  @ValidateIf((o: ContactCardDto) => o.phone !== undefined || o.phones === undefined)
  @IsString()
  @IsNotEmpty({ message: 'phone is required unless phones is given' })
  @MaxLength(40)
  phone?: string;
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => ContactPhoneDto)
  phones?: ContactPhoneDto[];
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => ContactEmailDto)
  emails?: ContactEmailDto[];
  @IsOptional() @IsObject() @ValidateNested() @Type(() => ContactOrgDto) org?: ContactOrgDto;
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => ContactUrlDto)
  urls?: ContactUrlDto[];
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => ContactAddressDto)
  addresses?: ContactAddressDto[];
  /** `YYYY-MM-DD`. @example 1990-01-02 */
  @IsOptional()
  @Matches(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { message: 'birthday must be a date YYYY-MM-DD' })
  birthday?: string;
  /** vCard text sent as is to Telegram (≤ 2048 bytes); WhatsApp takes the fields the card lacks from it. */
  @IsOptional() @IsString() @MaxLength(2048) vcard?: string;
}

class TemplateDto {
  @IsString() @IsNotEmpty() name: string;
  @IsString() @IsNotEmpty() language: string;
  @IsOptional() @IsArray() components?: unknown[];
}

const is =
  (...types: OutboundType[]) =>
  (o: SendMessageDto) =>
    types.includes(o.type);

/**
 * The normalized outbound message (DESIGN.md §5). Which fields apply depends on `type`;
 * `GET /api/instances/:id/capabilities` says which types and limits the provider has.
 */
export class SendMessageDto {
  /**
   * Recipient: Telegram numeric chat id or @channelusername; WhatsApp phone number with country
   * code (or BSUID); Messenger PSID; Instagram IGSID. @example "123456789"
   */
  @IsString() @IsNotEmpty() @MaxLength(200) to: string;

  @ApiProperty({ enum: OUTBOUND_TYPES, example: 'text' })
  @IsIn(OUTBOUND_TYPES)
  type: OutboundType;

  /** type=text. @example Hello from Switchboard */
  @ValidateIf(is('text')) @IsString() @IsNotEmpty() text?: string;

  /** type=text: show a link preview (default: provider default). */
  @IsOptional() @IsBoolean() previewUrl?: boolean;

  /** Media types: `{url}` or `{providerMediaId}`. */
  @ValidateIf(is(...MEDIA_TYPES)) @IsObject() @ValidateNested() @Type(() => MediaRefDto) media?: MediaRefDto;

  @IsOptional() @IsString() caption?: string;
  @IsOptional() @IsString() @MaxLength(255) filename?: string;

  @ValidateIf(is('location')) @IsLatitude() latitude?: number;
  @ValidateIf(is('location')) @IsLongitude() longitude?: number;
  @IsOptional() @IsString() @MaxLength(200) name?: string;
  @IsOptional() @IsString() @MaxLength(500) address?: string;

  @ValidateIf(is('contacts'))
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => ContactCardDto)
  contacts?: ContactCardDto[];

  /** type=reaction: the message reacted to (our id or the provider's). */
  @ValidateIf(is('reaction')) @IsString() @IsNotEmpty() messageId?: string;
  /** type=reaction: the emoji; empty string removes the reaction. @example 👍 */
  @ValidateIf(is('reaction')) @IsString() emoji?: string;

  @ValidateIf(is('template')) @IsObject() @ValidateNested() @Type(() => TemplateDto) template?: TemplateDto;

  /** Reply to this message (our id or the provider's). */
  @IsOptional() @IsString() @IsNotEmpty() replyTo?: string;

  /**
   * Messenger only: message tag for sends outside the 24-hour window (`messaging_type: MESSAGE_TAG`).
   * @example HUMAN_AGENT
   */
  @IsOptional()
  @Matches(/^[A-Z_]{3,40}$/, { message: 'tag must be a Messenger message tag, e.g. HUMAN_AGENT' })
  tag?: string;
}

/** `POST …/chats/:chatId/typing`. */
export class TypingDto {
  /** true: show typing (default); false: stop. */
  @IsOptional() @IsBoolean() on?: boolean;
}

const UPLOAD_TYPES = ['image', 'video', 'audio', 'voice', 'document', 'sticker'] as const;

/**
 * Multipart fields of `POST …/messages/upload` (the seeds' send-file): the `file` part is uploaded
 * to the provider first, then sent by the returned media id.
 */
export class UploadMessageDto {
  /** Recipient (WhatsApp: phone number with country code). @example "16505551234" */
  @IsString() @IsNotEmpty() @MaxLength(200) to: string;
  @ApiProperty({ enum: UPLOAD_TYPES, example: 'document' })
  @IsIn(UPLOAD_TYPES)
  type: (typeof UPLOAD_TYPES)[number];
  @IsOptional() @IsString() caption?: string;
  /** Shown file name (documents); default: the uploaded file's name. */
  @IsOptional() @IsString() @MaxLength(255) filename?: string;
  @IsOptional() @IsString() @IsNotEmpty() replyTo?: string;
}

/** `POST /api/instances/:id/provider/raw` (the connector's `out.raw`). */
export class RawProviderRequestDto {
  @ApiPropertyOptional({
    enum: ['GET', 'POST', 'DELETE'],
    description: 'Default: POST when body is given, else GET',
  })
  @IsOptional()
  @IsIn(['GET', 'POST', 'DELETE'])
  method?: 'GET' | 'POST' | 'DELETE';
  /** Provider path after the API version; default: the instance's send endpoint. @example /106540352242922/messages */
  @IsOptional() @IsString() @MaxLength(500) path?: string;
  /** JSON body sent as is. @example {"messaging_product":"whatsapp","to":"16505551234","type":"text","text":{"body":"hi"}} */
  @IsOptional() @IsObject() body?: Record<string, unknown>;
}

export class HistoryQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'ISO 8601' })
  @IsOptional()
  @StorableDate()
  startDate?: Date;
  @ApiPropertyOptional({ description: 'ISO 8601' }) @IsOptional() @StorableDate() endDate?: Date;
}
