/**
 * Error hierarchy (STYLE.md §6). Every error the API reports has a stable `code`, an HTTP
 * status and a human `detail`; the problem+json filter renders them. 5xx never echo input.
 */
export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id?: string) {
    super(404, 'not_found', id ? `${what} ${id} not found` : `${what} not found`);
  }
}

export class ValidationError extends AppError {
  constructor(message: string, errors: FieldError[] = []) {
    super(400, 'validation_failed', message, errors.length ? { errors } : {});
  }
}

/** 422: the request is well-formed but cannot be done (e.g. a capability the provider lacks). */
export class UnprocessableError extends AppError {
  constructor(code: string, message: string, extra: Record<string, unknown> = {}) {
    super(422, code, message, extra);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Missing or invalid credentials') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed') {
    super(403, 'forbidden', message);
  }
}

/**
 * A provider refused or failed a call. `providerCode` is the provider's own code (Telegram
 * `error_code`, Graph `error.code`, ...), `providerDescription` its message.
 * Status mapping: provider rate limit → 429 (+ Retry-After s); bad recipient → 4xx; provider down → 502.
 */
export class ProviderError extends AppError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly provider: string,
    readonly providerCode: number | string | undefined,
    readonly providerDescription: string | undefined,
    readonly retryAfterSeconds?: number,
    /** Further provider facts for the problem body (e.g. the Graph error's subcode and fbtrace_id). */
    details: Record<string, unknown> = {},
  ) {
    super(
      status,
      code,
      message,
      {
        provider,
        providerCode,
        providerDescription,
        ...(retryAfterSeconds !== undefined ? { retryAfter: retryAfterSeconds } : {}),
        ...details,
      },
      retryAfterSeconds !== undefined ? { 'Retry-After': String(retryAfterSeconds) } : {},
    );
  }
}
