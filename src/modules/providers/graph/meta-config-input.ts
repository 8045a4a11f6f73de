import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { SecretField } from '../config-schema';

/**
 * The `config` fields every Meta platform has; each platform's config DTO extends it (its own
 * fields come first in the JSON Schema the dashboard renders).
 */
export abstract class MetaConfigInput {
  /** The app secret: checks `X-Hub-Signature-256` of inbound webhooks. */
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(256) appSecret: string;
  /** The verify token typed into the Meta dashboard's webhook form. */
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(256) webhookVerifyToken: string;
  /** Graph API version to pin, e.g. `v23.0` (default GRAPH_API_VERSION). */
  @IsOptional() @Matches(/^v\d+\.\d+$/, { message: 'version must look like v23.0' }) version?: string;
}
