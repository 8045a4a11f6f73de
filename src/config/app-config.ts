import { EnvSchema } from './env.schema';
import { parseSeedAccounts, SeedWhatsappAccount } from '../modules/nats/seed-accounts';

/**
 * The typed configuration every module reads (injected as AppConfig). Built once from the
 * validated environment; nothing else reads process.env.
 */
export class AppConfig {
  readonly nodeEnv: EnvSchema['NODE_ENV'];
  readonly port: number;
  readonly host: string;
  readonly role: EnvSchema['APP_ROLE'];
  readonly logLevel: string;
  readonly database: {
    url?: string;
    host?: string;
    port?: number;
    name?: string;
    user?: string;
    password?: string;
    ssl: boolean;
    migrationsRun: boolean;
    /** Connections in the pool of this process. */
    poolSize: number;
  };
  readonly redis: { url: string; prefix: string };
  readonly jwt: { secret: string; expiresIn: string };
  /** How long a credential's caller is reused per process, ms (0: off; PrincipalCache). */
  readonly authCacheTtlMs: number;
  readonly admin: { email: string; password: string; firstName: string; lastName: string };
  /** base64 32-byte keys: the current one first, then previous ones still accepted for decryption. */
  readonly encryptionKeys: string[];
  readonly publicBaseUrl?: string;
  readonly telegram: { apiRoot: string; pollTimeoutSeconds: number };
  /** Discord REST base without trailing slash (`https://discord.com/api`; a fake in tests). */
  readonly discord: { apiUrl: string };
  /**
   * WhatsApp Web (issue 14): engine, socket URL, WA version, per-chat send gap (ms), largest media
   * fetched by URL (bytes), history sync.
   */
  readonly whatsappWeb: {
    engine: 'baileys' | 'fake';
    wsUrl?: string;
    version?: [number, number, number];
    sendGapMs: number;
    mediaMaxBytes: number;
    syncHistory: boolean;
  };
  /**
   * Long-lived provider connections (ConnectionRuntime), all in ms: lease TTL, renewal and
   * target refresh intervals, reconnect backoff base and cap.
   */
  readonly connections: {
    leaseTtlMs: number;
    renewEveryMs: number;
    refreshEveryMs: number;
    reconnectBaseMs: number;
    reconnectMaxMs: number;
  };
  /** Meta Graph API hosts (no trailing slash) and the default version (`v23.0`). */
  readonly graph: { baseUrl: string; version: string; instagramBaseUrl: string };
  /** Slack Web API base, always ending in `/` (SLACK_API_URL; PROVIDERS.md §5). */
  readonly slack: { apiUrl: string };
  /** Outbound client webhooks; all durations in ms (WEBHOOKS.md). */
  readonly webhooks: {
    timeoutMs: number;
    maxRetryDelayMs: number;
    concurrency: number;
    sweepIntervalMs: number;
    /** BullMQ lock of an active delivery job (and the stalled-job check interval), ms. */
    lockDurationMs: number;
    /** CIDRs exempt from the SSRF block list (WEBHOOK_ALLOWED_NETWORKS). */
    allowedNetworks: string[];
    /** Every attempt failed for this long → webhook disabled (`endpoint_failing`). */
    disableAfterMs: number;
    /** Default grace of the previous secret after a rotation. */
    secretGraceMs: number;
    /** Largest envelope delivered, bytes. */
    maxPayloadBytes: number;
    retentionSucceededMs: number;
    retentionDeadMs: number;
  };
  /**
   * Async sends (issue 11): worker concurrency, WhatsApp Cloud throughput (messages/s), the
   * WhatsApp Web per-chat gap (ms) and the sweep interval (ms).
   */
  readonly send: {
    concurrency: number;
    whatsappMessagesPerSecond: number;
    sweepIntervalMs: number;
  };
  readonly swaggerEnabled: boolean;
  /** Usage counters: on/off and the flush interval (ms). */
  readonly usage: { enabled: boolean; flushIntervalMs: number };
  /** Redis-backed API rate limits: window (ms) and budgets per window; 0 = off. */
  readonly rateLimit: { ttlMs: number; limit: number; sendLimit: number; webhookLimit: number };
  /** Bearer token protecting GET /metrics, when set. */
  readonly metricsToken?: string;
  /** Waiting + delayed webhook deliveries above which /health/ready is unhealthy. */
  readonly healthQueueBacklogMax: number;

  /** NATS (README § NATS); `url` undefined: off. Durations in ms, sizes in bytes. */
  readonly nats: {
    url?: string;
    stream: string;
    user?: string;
    password?: string;
    token?: string;
    credsFile?: string;
    maxAgeMs: number;
    maxBytes: number;
    duplicateWindowMs: number;
    pollIntervalMs: number;
    pendingMax: number;
  };
  /** The seed connector's `WA_<NAME>` accounts and their shared settings (seeds/whatsapp-cloud-connector.md). */
  readonly seedWhatsapp: {
    accounts: SeedWhatsappAccount[];
    verifyToken?: string;
    appSecret?: string;
    apiVersion: string;
  };

  constructor(env: EnvSchema) {
    this.nodeEnv = env.NODE_ENV;
    this.port = env.PORT;
    this.host = env.HOST;
    this.role = env.APP_ROLE;
    this.logLevel = env.LOG_LEVEL;
    this.database = {
      url: env.DATABASE_URL,
      host: env.DATABASE_HOST,
      port: env.DATABASE_PORT,
      name: env.DATABASE_NAME,
      user: env.DATABASE_USER,
      password: env.DATABASE_PASSWORD,
      ssl: env.DATABASE_SSL,
      migrationsRun: env.DB_MIGRATIONS_RUN,
      poolSize: env.DATABASE_POOL_SIZE,
    };
    this.redis = { url: env.REDIS_URL, prefix: env.REDIS_PREFIX };
    this.jwt = { secret: env.JWT_SECRET, expiresIn: env.JWT_EXPIRATION };
    this.authCacheTtlMs = env.AUTH_CACHE_TTL_MS;
    this.admin = {
      email: env.ADMIN_EMAIL.toLowerCase(),
      password: env.ADMIN_PASSWORD,
      firstName: env.ADMIN_FIRST_NAME,
      lastName: env.ADMIN_LAST_NAME,
    };
    this.encryptionKeys = [
      env.ENCRYPTION_KEY,
      ...(env.ENCRYPTION_PREVIOUS_KEYS ?? '')
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    ];
    this.publicBaseUrl = env.PUBLIC_BASE_URL?.replace(/\/+$/, '');
    this.telegram = {
      apiRoot: env.TELEGRAM_API_ROOT.replace(/\/+$/, ''),
      pollTimeoutSeconds: env.TELEGRAM_POLL_TIMEOUT_SECONDS,
    };
    this.discord = { apiUrl: env.DISCORD_API_URL.replace(/\/+$/, '') };
    this.whatsappWeb = {
      engine: env.WHATSAPP_WEB_ENGINE,
      wsUrl: env.WHATSAPP_WEB_WS_URL,
      version: env.WHATSAPP_WEB_VERSION
        ? (env.WHATSAPP_WEB_VERSION.split('.').map(Number) as [number, number, number])
        : undefined,
      sendGapMs: env.WHATSAPP_WEB_SEND_GAP_MS,
      mediaMaxBytes: env.WHATSAPP_WEB_MEDIA_MAX_BYTES,
      syncHistory: env.WHATSAPP_WEB_SYNC_HISTORY,
    };
    const leaseTtlMs = env.CONNECTION_LEASE_TTL_MS;
    this.connections = {
      leaseTtlMs,
      renewEveryMs: Math.floor(leaseTtlMs / 3),
      refreshEveryMs: Math.min(2000, Math.floor(leaseTtlMs / 3)),
      reconnectBaseMs: env.CONNECTION_RECONNECT_BASE_MS,
      reconnectMaxMs: Math.max(env.CONNECTION_RECONNECT_BASE_MS, env.CONNECTION_RECONNECT_MAX_MS),
    };
    this.graph = {
      baseUrl: env.GRAPH_API_BASE_URL.replace(/\/+$/, ''),
      version: env.GRAPH_API_VERSION,
      instagramBaseUrl: env.INSTAGRAM_GRAPH_API_BASE_URL.replace(/\/+$/, ''),
    };
    this.send = {
      concurrency: env.SEND_CONCURRENCY,
      whatsappMessagesPerSecond: env.SEND_WHATSAPP_MESSAGES_PER_SECOND,
      sweepIntervalMs: env.SEND_SWEEP_INTERVAL_MS,
    };
    this.slack = { apiUrl: env.SLACK_API_URL.replace(/\/*$/, '/') };
    this.webhooks = {
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      maxRetryDelayMs: env.WEBHOOK_MAX_RETRY_DELAY_MS,
      concurrency: env.WEBHOOK_CONCURRENCY,
      sweepIntervalMs: env.WEBHOOK_SWEEP_INTERVAL_MS,
      lockDurationMs: env.WEBHOOK_LOCK_DURATION_MS,
      allowedNetworks: env.WEBHOOK_ALLOWED_NETWORKS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      disableAfterMs: env.WEBHOOK_DISABLE_AFTER_MS,
      secretGraceMs: env.WEBHOOK_SECRET_GRACE_MS,
      maxPayloadBytes: env.WEBHOOK_MAX_PAYLOAD_BYTES,
      retentionSucceededMs: env.WEBHOOK_RETENTION_SUCCEEDED_MS,
      retentionDeadMs: env.WEBHOOK_RETENTION_DEAD_MS,
    };
    this.swaggerEnabled = env.SWAGGER_ENABLED;
    this.usage = { enabled: env.USAGE_COUNTERS_ENABLED, flushIntervalMs: env.USAGE_FLUSH_INTERVAL_MS };
    this.rateLimit = {
      ttlMs: env.RATE_LIMIT_TTL_MS,
      limit: env.RATE_LIMIT_LIMIT,
      sendLimit: env.RATE_LIMIT_SEND_LIMIT,
      webhookLimit: env.RATE_LIMIT_WEBHOOK_LIMIT,
    };
    this.metricsToken = env.METRICS_TOKEN;
    this.healthQueueBacklogMax = env.HEALTH_QUEUE_BACKLOG_MAX;
    this.nats = {
      url: env.NATS_URL,
      stream: env.NATS_STREAM,
      user: env.NATS_USER,
      password: env.NATS_PASSWORD,
      token: env.NATS_TOKEN,
      credsFile: env.NATS_CREDS_FILE,
      maxAgeMs: env.NATS_STREAM_MAX_AGE_MS,
      maxBytes: env.NATS_STREAM_MAX_BYTES,
      duplicateWindowMs: Math.min(env.NATS_DUPLICATE_WINDOW_MS, env.NATS_STREAM_MAX_AGE_MS),
      pollIntervalMs: env.NATS_POLL_INTERVAL_MS,
      pendingMax: env.NATS_PENDING_MAX,
    };
    this.seedWhatsapp = {
      // validateEnv keeps unknown variables on the instance: WA_<NAME> are read from it
      accounts: parseSeedAccounts(env as unknown as Record<string, unknown>).accounts,
      verifyToken: env.WEBHOOK_VERIFY_TOKEN,
      appSecret: env.APP_SECRET,
      apiVersion: env.API_VERSION,
    };
  }

  get runsApi(): boolean {
    return this.role !== 'worker';
  }

  get runsWorkers(): boolean {
    return this.role !== 'api';
  }
}
