import { plainToInstance, Transform } from 'class-transformer';
import { existsSync } from 'node:fs';
import { parseSeedAccounts } from '../modules/nats/seed-accounts';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

const toBool = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? ['1', 'true', 'yes', 'on'].includes(value.toLowerCase()) : value;
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
const emptyToUndefined = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** Values shipped in .env.example; refused when NODE_ENV=production. */
export const DEV_DEFAULT_SECRETS = {
  JWT_SECRET: 'dev-only-jwt-secret-change-me-0123456789abcdef',
  ENCRYPTION_KEY: 'ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM=',
  ADMIN_PASSWORD: 'admin123',
};

/**
 * Every environment variable the gateway reads, validated once at boot (STYLE.md §5).
 * Durations carry their unit in the name (_MS, _SECONDS). See .env.example for comments.
 */
export class EnvSchema {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @IsIn(['api', 'worker', 'all'])
  APP_ROLE: 'api' | 'worker' | 'all' = 'all';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  DATABASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  DATABASE_HOST?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  DATABASE_PORT?: number;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  DATABASE_NAME?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  DATABASE_USER?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  DATABASE_PASSWORD?: string;

  @Transform(toBool)
  @IsBoolean()
  DATABASE_SSL = false;

  @Transform(toBool)
  @IsBoolean()
  DB_MIGRATIONS_RUN = true;

  /** PostgreSQL connections per process; workers want about WEBHOOK_CONCURRENCY (a delivery runs two queries). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_SIZE = 20;

  @IsString()
  REDIS_URL = 'redis://127.0.0.1:6379';

  @IsString()
  @MinLength(1)
  REDIS_PREFIX = 'switchboard';

  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET!: string;

  @IsString()
  JWT_EXPIRATION = '24h';

  /**
   * How long each API process reuses the caller a credential (JWT or API key) resolved to, ms
   * (0: every request reads PostgreSQL). A revoked key, a deactivated or changed user stop working
   * at once (other API processes hear of it on Redis), at the latest after this time.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60_000)
  AUTH_CACHE_TTL_MS = 5_000;

  @IsString()
  ADMIN_EMAIL = 'admin@example.com';

  @IsString()
  @MinLength(8, { message: 'ADMIN_PASSWORD must be at least 8 characters' })
  ADMIN_PASSWORD = DEV_DEFAULT_SECRETS.ADMIN_PASSWORD;

  @IsString()
  ADMIN_FIRST_NAME = 'Admin';

  @IsString()
  ADMIN_LAST_NAME = 'User';

  @IsString()
  ENCRYPTION_KEY!: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  ENCRYPTION_PREVIOUS_KEYS?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  PUBLIC_BASE_URL?: string;

  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  TELEGRAM_API_ROOT = 'https://api.telegram.org';

  /** Discord REST base (`@discordjs/rest` `api`); the Gateway URL comes from `GET /v10/gateway/bot` through it (PROVIDERS.md §6). */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  DISCORD_API_URL = 'https://discord.com/api';

  /** Meta Graph API host for WhatsApp Cloud, Messenger and Page-linked Instagram (PROVIDERS.md §2–4). */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  GRAPH_API_BASE_URL = 'https://graph.facebook.com';

  /** Graph API version used when an instance does not pin its own, e.g. `v23.0`. */
  @Matches(/^v\d+\.\d+$/, { message: 'GRAPH_API_VERSION must look like v23.0' })
  GRAPH_API_VERSION = 'v23.0';

  /** Host of the Instagram API with Instagram Login (PROVIDERS.md §4). */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  INSTAGRAM_GRAPH_API_BASE_URL = 'https://graph.instagram.com';

  /**
   * Slack Web API base (`@slack/web-api` `slackApiUrl`; PROVIDERS.md §5). Socket Mode's
   * `apps.connections.open` goes through it too, so its `wss://` URL comes from there.
   */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  SLACK_API_URL = 'https://slack.com/api/';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(50)
  TELEGRAM_POLL_TIMEOUT_SECONDS = 25;

  /** WhatsApp Web engine: `baileys` (the real one) or `fake` (scripted, no network: tests and the sandbox). */
  @IsIn(['baileys', 'fake'])
  WHATSAPP_WEB_ENGINE: 'baileys' | 'fake' = 'baileys';

  /** WhatsApp Web socket URL (Baileys `waWebSocketUrl`); empty = Baileys' own (wss://web.whatsapp.com/ws/chat). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['ws', 'wss'], require_protocol: true })
  WHATSAPP_WEB_WS_URL?: string;

  /** WA Web version `2.3000.1043857760` when WhatsApp rejects Baileys' baked-in one (405); empty = Baileys'. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^\d+\.\d+\.\d+$/, { message: 'WHATSAPP_WEB_VERSION must look like 2.3000.1043857760' })
  WHATSAPP_WEB_VERSION?: string;

  /** Least gap between two sends to one chat, ms (WhatsApp bans bursts from linked devices). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60_000)
  WHATSAPP_WEB_SEND_GAP_MS = 1000;

  /**
   * Largest media the gateway fetches by URL for a WhatsApp Web send, bytes (WhatsApp takes up to
   * 100 MB; default 16 MiB, the upload route's limit). The bytes go to the socket's process over
   * Redis pub/sub as base64 when another process holds it: above ~24 MB raise Redis'
   * `client-output-buffer-limit pubsub` (32 MB hard by default).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100 * 1024 * 1024)
  WHATSAPP_WEB_MEDIA_MAX_BYTES = 16 * 1024 * 1024;

  /** Also store history WhatsApp syncs to a newly linked device (`append` messages). */
  @Transform(toBool)
  @IsBoolean()
  WHATSAPP_WEB_SYNC_HISTORY = false;

  /**
   * TTL of the Redis lease a worker holds per long-lived provider connection (Telegram polling,
   * …), ms; renewed every third of it. A dead owner's connection is taken over within about this
   * long (DESIGN.md §4: ≤ 15 s).
   */
  @Transform(toInt)
  @IsInt()
  @Min(300)
  @Max(15_000)
  CONNECTION_LEASE_TTL_MS = 15_000;

  /** First reconnect delay of a failed provider connection, ms: doubles per failure, full jitter. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(600_000)
  CONNECTION_RECONNECT_BASE_MS = 1_000;

  /** Cap of the reconnect delay of a failed provider connection, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  CONNECTION_RECONNECT_MAX_MS = 60_000;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(120_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  WEBHOOK_MAX_RETRY_DELAY_MS = 3_600_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  WEBHOOK_CONCURRENCY = 50;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  WEBHOOK_SWEEP_INTERVAL_MS = 30_000;

  /** Async sends (issue 11) in flight per worker process. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  SEND_CONCURRENCY = 50;

  /** WhatsApp Cloud throughput of a business number, messages/s (Meta's default 80; up to 1,000 once upgraded). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  SEND_WHATSAPP_MESSAGES_PER_SECOND = 80;

  /** How often the worker re-enqueues async sends whose job never reached Redis, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  SEND_SWEEP_INTERVAL_MS = 30_000;

  /** BullMQ job lock of a delivery, ms: a worker that dies mid-delivery is detected after about this long. */
  @Transform(toInt)
  @IsInt()
  @Min(500)
  WEBHOOK_LOCK_DURATION_MS = 30_000;

  /** A webhook whose every attempt has failed for this long is disabled (`endpoint_failing`), ms. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  WEBHOOK_DISABLE_AFTER_MS = 86_400_000;

  /** How long the previous secret keeps signing after a rotation, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  WEBHOOK_SECRET_GRACE_MS = 86_400_000;

  /** Largest event envelope delivered, bytes; bigger events are recorded with a dead delivery. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  WEBHOOK_MAX_PAYLOAD_BYTES = 262_144;

  /** Succeeded deliveries (and their attempts) are deleted after this long, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(60_000)
  WEBHOOK_RETENTION_SUCCEEDED_MS = 7 * 86_400_000;

  /** Dead deliveries (and their attempts) are deleted after this long, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(60_000)
  WEBHOOK_RETENTION_DEAD_MS = 30 * 86_400_000;

  /** Comma-separated CIDRs outbound client webhooks may reach despite the SSRF block list. */
  @IsString()
  WEBHOOK_ALLOWED_NETWORKS = '';

  @Transform(toBool)
  @IsBoolean()
  SWAGGER_ENABLED = true;

  /** Usage counters (usage_daily); off only to measure their cost. */
  @Transform(toBool)
  @IsBoolean()
  USAGE_COUNTERS_ENABLED = true;

  /** How often each process writes its in-memory usage deltas to PostgreSQL (ms); a crash loses at most this much. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  USAGE_FLUSH_INTERVAL_MS = 5_000;

  /** API rate-limit window (ms), shared by all API processes through Redis. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  RATE_LIMIT_TTL_MS = 60_000;

  /** Requests per window per API key / user (reads and everything else). 0 disables API rate limiting. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RATE_LIMIT_LIMIT = 600;

  /** Sends per window per API key / user (message sends, stricter than reads). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RATE_LIMIT_SEND_LIMIT = 120;

  /** Global ceiling on provider inbound webhooks (/webhooks/*) per window, all callers together. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RATE_LIMIT_WEBHOOK_LIMIT = 60_000;

  /** GET /health/ready reports unhealthy when more webhook deliveries than this wait in the queue. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  HEALTH_QUEUE_BACKLOG_MAX = 10_000;

  /**
   * NATS server(s), comma-separated (`nats://host:4222`, `tls://…`); unset: NATS is off
   * (README § NATS). The seed connector's name.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^(nats|tls|ws|wss):\/\/[^\s,]+(,(nats|tls|ws|wss):\/\/[^\s,]+)*$/, {
    message: 'NATS_URL must be nats://host:port (comma-separated for several servers)',
  })
  NATS_URL?: string;

  /** JetStream stream holding the `in`, `error` and `switchboard` subjects; created or updated at boot. */
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'NATS_STREAM must be a stream name: letters, digits, _ and -',
  })
  NATS_STREAM = 'SWITCHBOARD';

  /** NATS user/password auth (both or neither). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  NATS_USER?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  NATS_PASSWORD?: string;

  /** NATS token auth. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  NATS_TOKEN?: string;

  /** Path of a NATS `.creds` file (JWT + nkey seed). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  NATS_CREDS_FILE?: string;

  /** Stream limit: messages older than this are discarded, ms (default 7 days). */
  @Transform(toInt)
  @IsInt()
  @Min(60_000)
  NATS_STREAM_MAX_AGE_MS = 7 * 86_400_000;

  /** Stream limit: oldest messages are discarded above this size, bytes (default 1 GiB). */
  @Transform(toInt)
  @IsInt()
  @Min(1_048_576)
  NATS_STREAM_MAX_BYTES = 1_073_741_824;

  /** JetStream's dedupe window for `Nats-Msg-Id`, ms (default 10 min; ≤ NATS_STREAM_MAX_AGE_MS). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  NATS_DUPLICATE_WINDOW_MS = 600_000;

  /** How often an idle publisher looks for new outbox rows, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(5)
  @Max(10_000)
  NATS_POLL_INTERVAL_MS = 50;

  /** GET /health/ready reports unhealthy when more items than this wait to be published to NATS. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  NATS_PENDING_MAX = 10_000;

  /** The seed connector's verify token: `webhookVerifyToken` of every `WA_<NAME>` instance. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WEBHOOK_VERIFY_TOKEN?: string;

  /** The seed connector's Meta App Secret: `appSecret` of every `WA_<NAME>` instance. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  APP_SECRET?: string;

  /** The seed connector's Graph API version (default v21.0), pinned on every `WA_<NAME>` instance. */
  @Matches(/^v\d+\.\d+$/, { message: 'API_VERSION must look like v21.0' })
  API_VERSION = 'v21.0';

  /** When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16)
  METRICS_TOKEN?: string;
}

/**
 * Validates `process.env` into an EnvSchema. Throws one Error whose message names every bad
 * variable and why, so a misconfigured process stops before it listens.
 */
export function validateEnv(raw: Record<string, unknown>): EnvSchema {
  const env = plainToInstance(EnvSchema, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false, forbidUnknownValues: false });
  const problems = errors.map(
    (e) => `${e.property}: ${Object.values(e.constraints ?? { invalid: 'is invalid' }).join('; ')}`,
  );
  if (!env.DATABASE_URL && !env.DATABASE_HOST) {
    problems.push('DATABASE_URL: set DATABASE_URL, or DATABASE_HOST (+ DATABASE_PORT/NAME/USER/PASSWORD)');
  }
  const key = env.ENCRYPTION_KEY ? Buffer.from(env.ENCRYPTION_KEY, 'base64') : Buffer.alloc(0);
  if (env.ENCRYPTION_KEY && key.length !== 32) {
    problems.push('ENCRYPTION_KEY: must be 32 bytes encoded as base64 (openssl rand -base64 32)');
  }
  if (env.NODE_ENV === 'production') {
    for (const [name, value] of Object.entries(DEV_DEFAULT_SECRETS)) {
      if ((env as unknown as Record<string, unknown>)[name] === value) {
        problems.push(`${name}: the development default is refused when NODE_ENV=production`);
      }
    }
  }
  problems.push(...natsProblems(env, raw));
  if (problems.length > 0) {
    throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return env;
}

/** NATS credentials that cannot work together, and the seed connector's `WA_<NAME>` accounts. */
function natsProblems(env: EnvSchema, raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (!!env.NATS_USER !== !!env.NATS_PASSWORD) {
    problems.push('NATS_USER: set NATS_USER and NATS_PASSWORD together');
  }
  const methods = [
    env.NATS_USER && 'NATS_USER',
    env.NATS_TOKEN && 'NATS_TOKEN',
    env.NATS_CREDS_FILE && 'NATS_CREDS_FILE',
  ];
  if (methods.filter(Boolean).length > 1) {
    problems.push(
      `NATS_TOKEN: choose one NATS authentication (${methods.filter(Boolean).join(', ')} are set)`,
    );
  }
  if (env.NATS_CREDS_FILE && !existsSync(env.NATS_CREDS_FILE)) {
    problems.push('NATS_CREDS_FILE: no such file');
  }
  const seed = parseSeedAccounts(raw);
  problems.push(...seed.problems);
  if (seed.accounts.length > 0) {
    if (!env.APP_SECRET)
      problems.push('APP_SECRET: required with WA_<NAME> accounts (checks X-Hub-Signature-256)');
    if (!env.WEBHOOK_VERIFY_TOKEN) {
      problems.push(
        'WEBHOOK_VERIFY_TOKEN: required with WA_<NAME> accounts (the webhook verification handshake)',
      );
    }
  }
  return problems;
}
