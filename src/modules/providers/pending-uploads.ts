import { randomUUID } from 'node:crypto';
import { ProviderError, UnprocessableError } from '../../common/errors/app-error';
import type { UploadFile } from './provider-adapter';

/**
 * How long an uploaded file waits for its send, ms: the upload route sends at once in the same
 * request, so this only bounds how long a file whose send failed before taking it stays in memory.
 */
export const UPLOAD_TTL_MS = 60_000;
/** Files waiting at most, per adapter (each ≤ the upload route's 16 MB). */
export const UPLOAD_MAX_PENDING = 50;

/**
 * Files of `POST …/messages/upload` for providers that take bytes only inside the message itself
 * (Discord's multipart `files[n]`, WhatsApp Web's Baileys media): `uploadMedia` keeps the file in
 * this process under `upload:<uuid>` and the send that follows takes it. The upload route sends at
 * once in the same process, so the id never has to travel; a file not taken within UPLOAD_TTL_MS
 * is dropped.
 */
export class PendingUploads {
  private readonly files = new Map<string, { file: UploadFile; expiresAt: number }>();

  /** @param label the provider's name in messages, e.g. `Discord`. */
  constructor(
    private readonly provider: string,
    private readonly label: string,
  ) {}

  /** Whether `providerMediaId` is an id {@link put} hands out. */
  static isUploadId(providerMediaId: string | undefined): boolean {
    return !!providerMediaId?.startsWith('upload:');
  }

  /**
   * Keeps `file` for the send that follows.
   * @returns `upload:<uuid>`, to send as `media.providerMediaId`.
   * @throws ProviderError 429 `provider_rate_limited` (Retry-After 10 s) with UPLOAD_MAX_PENDING files waiting.
   */
  put(file: UploadFile): string {
    const now = Date.now();
    for (const [id, u] of this.files) if (u.expiresAt < now) this.files.delete(id);
    if (this.files.size >= UPLOAD_MAX_PENDING) {
      throw new ProviderError(
        429,
        'provider_rate_limited',
        `Too many ${this.label} uploads waiting to be sent`,
        this.provider,
        undefined,
        undefined,
        10,
      );
    }
    const id = `upload:${randomUUID()}`;
    this.files.set(id, { file, expiresAt: now + UPLOAD_TTL_MS });
    return id;
  }

  /**
   * Takes (and forgets) the file kept under `id`.
   * @throws UnprocessableError 422 `upload_expired` naming `media.providerMediaId` when it is unknown or expired.
   */
  take(id: string): UploadFile {
    const pending = this.files.get(id);
    this.files.delete(id);
    if (!pending || pending.expiresAt < Date.now()) {
      throw new UnprocessableError(
        'upload_expired',
        `The uploaded file is no longer waiting to be sent (uploads are kept ${UPLOAD_TTL_MS / 1000} s); upload it again`,
        {
          provider: this.provider,
          errors: [{ field: 'media.providerMediaId', message: 'expired or unknown' }],
        },
      );
    }
    return pending.file;
  }
}
